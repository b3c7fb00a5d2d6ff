#include "image_compare.h"

#include <cstdlib>
#include <sstream>

namespace vit::test {

ImageDifference compare_images(const Image& a, const Image& b) {
  ImageDifference d;
  if (a.pixels.size() != b.pixels.size()) return d;
  uint64_t total = 0;
  for (size_t i = 0; i < a.pixels.size(); i += 3) {
    bool differs = false;
    for (size_t c = 0; c < 3; ++c) {
      const int diff = std::abs(int(a.pixels[i + c]) - int(b.pixels[i + c]));
      ++d.histogram[diff];
      total += diff;
      if (diff > d.max) d.max = diff;
      differs = differs || diff != 0;
    }
    d.pixels_differing += differs;
  }
  d.values = a.pixels.size();
  d.mean = d.values ? double(total) / double(d.values) : 0.0;
  return d;
}

std::string ImageDifference::text() const {
  if (max == 0) return "exact (" + std::to_string(values) + " values)";
  std::ostringstream s;
  s << "max " << max << ", mean " << mean << ", pixels differing " << pixels_differing << " of "
    << values / 3 << "; histogram of |d|:";
  for (int i = 0; i < 256; ++i)
    if (histogram[i]) s << " " << i << ":" << histogram[i];
  return s.str();
}

}  // namespace vit::test

// An 8-bit RGB image: the one pixel format every decoder converts to and every resize works on.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vit {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // row-major, interleaved R, G, B; width * height * 3 bytes

  Image() = default;
  // A black image; throws Error when a side is negative or the byte count overflows.
  Image(int width, int height);

  size_t row_bytes() const { return static_cast<size_t>(width) * 3; }
  uint8_t* row(int y) { return pixels.data() + static_cast<size_t>(y) * row_bytes(); }
  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * row_bytes(); }
  uint8_t* pixel(int x, int y) { return row(y) + static_cast<size_t>(x) * 3; }
  const uint8_t* pixel(int x, int y) const { return row(y) + static_cast<size_t>(x) * 3; }
  bool empty() const { return width == 0 || height == 0; }
};

inline bool operator==(const Image& a, const Image& b) {
  return a.width == b.width && a.height == b.height && a.pixels == b.pixels;
}
inline bool operator!=(const Image& a, const Image& b) { return !(a == b); }

}  // namespace vit

#include "engine/image/image.h"

#include <limits>
#include <string>

#include "formats/error.h"

namespace vit {

Image::Image(int w, int h) : width(w), height(h) {
  if (w < 0 || h < 0)
    fail("image", "negative size " + std::to_string(w) + "x" + std::to_string(h));
  const size_t bytes = static_cast<size_t>(w) * static_cast<size_t>(h);
  if (w != 0 && bytes / static_cast<size_t>(w) != static_cast<size_t>(h))
    fail("image", "size " + std::to_string(w) + "x" + std::to_string(h) + " overflows");
  if (bytes > std::numeric_limits<size_t>::max() / 3)
    fail("image", "size " + std::to_string(w) + "x" + std::to_string(h) + " overflows");
  pixels.assign(bytes * 3, 0);
}

}  // namespace vit

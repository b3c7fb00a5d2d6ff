#include "engine/image/pixel_limit.h"

#include "formats/error.h"

namespace vit {

void check_pixel_limit(const std::string& where, const std::string& format, uint64_t width, uint64_t height,
                       uint64_t limit) {
  if (width * height > limit)
    fail(where, format + " image of " + std::to_string(width) + "x" + std::to_string(height) + " = " +
                    std::to_string(width * height) + " pixels exceeds the limit of " + std::to_string(limit) +
                    " pixels");
}

}  // namespace vit

// The one check every decoder makes on the size a header claims, before allocating pixels.
#pragma once
#include <cstdint>
#include <string>

namespace vit {

// Throws Error("<where>: <format> image of WxH = N pixels exceeds the limit of L pixels").
// Each side must fit in 32 bits, so the product cannot overflow.
void check_pixel_limit(const std::string& where, const std::string& format, uint64_t width, uint64_t height,
                       uint64_t limit);

}  // namespace vit

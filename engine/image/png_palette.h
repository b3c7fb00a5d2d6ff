// Palette PNGs whose pixels index past the end of their PLTE: stb_image then reads palette
// entries it never initialised. Pillow gives such an index i the gray (i, i, i).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vit {

// A copy of the PNG with its PLTE grown to 256 entries, entry i >= the file's count being
// (i, i, i) as in Pillow; empty when the file needs no change (not a palette image, or a full
// palette). `data` must have passed check_png_structure.
std::vector<uint8_t> png_with_full_palette(const uint8_t* data, size_t size);

}  // namespace vit

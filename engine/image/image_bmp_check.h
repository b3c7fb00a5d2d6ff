// Palette check of a BMP before stb decodes it: stb looks indices up in a 256-entry table of
// which only the file's entries are set, so an index past the palette reads uninitialised
// stack memory. Such files are refused.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace vit {

// For 1/4/8-bit BMPs (RLE ones are refused by stb anyway) whose palette is shorter than 2^bits: throws
// Error("<where>: ...") when a pixel indexes past it. Other files pass unchecked; bytes past
// the end are left to the decoder's truncation check.
void check_bmp_palette_indices(const uint8_t* data, size_t size, const std::string& where);

}  // namespace vit

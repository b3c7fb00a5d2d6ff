// PNG through libpng, converted to RGB as Pillow 9.4's Image.open(f).convert('RGB') does
// (Pillow inflates PNGs itself, but the samples are lossless, so only the mode rules matter):
// - gray of 1, 2, 4 bits is scaled to 8 bits (0/255, x85, x17) and copied to R, G and B;
// - 16-bit samples keep their high byte (Pillow's ";16B" unpackers);
// - alpha is dropped, never blended; tRNS does not change any colour;
// - palette indices past the PLTE's entries give the gray (i, i, i), Pillow's default palette;
// - ancillary chunks (gAMA, iCCP, sRGB, text, ...) are skipped unread, so gamma is ignored.
// 16-bit grayscale is refused: Pillow opens it as 32-bit 'I' and convert('RGB') clips every
// value above 255 to white.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/image/image.h"

namespace vit {

struct ImageInfo;

bool looks_like_png(const uint8_t* data, size_t size);

// Header only (IHDR, and the chunks before the image data). Throws Error("<where>: ...").
ImageInfo probe_png(const uint8_t* data, size_t size, const std::string& where);

// Refuses images over max_pixels before any pixel memory is allocated, truncated files, bad
// checksums, corrupt image data and any libpng warning about the image data, except trailing
// data after the image (common, and Pillow ignores it too; libpng stops reading it).
Image decode_png(const uint8_t* data, size_t size, const std::string& where, uint64_t max_pixels);

}  // namespace vit

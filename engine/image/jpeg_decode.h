// JPEG through libjpeg-turbo with the settings Pillow 9.4 uses (JpegDecode.c): the accurate
// integer IDCT, fancy chroma upsampling, libjpeg's own YCbCr->RGB and YCCK->CMYK conversion.
// So the pixels equal Image.open(f).convert('RGB') where Pillow links the same libjpeg-turbo:
// - 1 component: gray, copied to R, G and B;
// - 3 components: RGB as libjpeg converts it;
// - 4 components: CMYK read with Adobe's inverted polarity (Pillow always assumes it) and
//   converted with Pillow's cmyk2rgb.
// EXIF orientation is not applied (Image.open does not either).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/image/image.h"

namespace vit {

struct ImageInfo;

// A progressive JPEG decodes every coefficient once per scan that refines it, so a small file
// of thousands of scans costs minutes; real encoders write at most a few dozen.
constexpr int kMaxJpegScans = 256;

bool looks_like_jpeg(const uint8_t* data, size_t size);

// Header only. Throws Error("<where>: ...") when libjpeg refuses the header.
ImageInfo probe_jpeg(const uint8_t* data, size_t size, const std::string& where);

// Refuses images over max_pixels before any pixel memory is allocated, truncated files, and
// corrupt entropy-coded data (libjpeg would go on with grey blocks, Pillow silently too).
Image decode_jpeg(const uint8_t* data, size_t size, const std::string& where, uint64_t max_pixels);

}  // namespace vit

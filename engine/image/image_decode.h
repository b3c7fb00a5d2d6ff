// Decodes PNG, JPEG, BMP, GIF, TGA, PSD and binary PNM files to 8-bit RGB, pixel for pixel as
// Pillow 9.4's Image.open(f).convert('RGB'): gray is copied to R, G and B; alpha is dropped,
// never blended; palettes are looked up.
// - JPEG: libjpeg-turbo with Pillow's settings (jpeg_decode.h); EXIF orientation not applied.
// - PNG: libpng with Pillow's mode rules (png_decode.h). 16-bit PNGs with colour or alpha keep
//   the high byte of each sample; 16-bit grayscale PNGs are refused: Pillow 9.4 opens them as
//   32-bit 'I' and convert('RGB') clips every value above 255 to white, which is never what a
//   caller wants. Other 16-bit files (PSD, PNM) are refused too.
// - BMP, TGA, PSD, PNM: stb_image, with the checks and level fixes around it below.
// - GIF: the first frame only, decoded here (gif_decode.h) with Pillow's canvas, fill and
//   palette rules.
// - PNM with a maxval below 255 and 16-bit 5-6-5 / 5-5-5 BMPs are rescaled as Pillow does
//   (pillow_levels.h).
// - Radiance HDR and Softimage PIC (which Pillow does not read) are not accepted.
// Truncated files (the decoder needed bytes past the end), corrupt files and images over the
// pixel limit are refused with one line naming the file; the size is checked from the header
// before any pixel memory is allocated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/image/image.h"

namespace vit {

constexpr uint64_t kDefaultMaxImagePixels = uint64_t{64} << 20;  // 64 Mi pixels (192 MiB as RGB)

struct DecodeOptions {
  uint64_t max_pixels = kDefaultMaxImagePixels;  // width * height above this is refused
};

// What the header says, without decoding pixels.
struct ImageInfo {
  std::string format;  // "PNG", "JPEG", "BMP", "GIF", "PSD", "PNM" or "TGA"
  int width = 0;
  int height = 0;
  int channels = 0;  // in the file: 1 gray, 2 gray+alpha, 3 RGB (or palette), 4 RGBA
  bool sixteen_bit = false;
};

// `where` names the source in error messages (usually the file name).
ImageInfo probe_image(const uint8_t* data, size_t size, const std::string& where);
Image decode_image(const uint8_t* data, size_t size, const std::string& where, const DecodeOptions& options = {});
Image load_image(const std::string& path, const DecodeOptions& options = {});

}  // namespace vit

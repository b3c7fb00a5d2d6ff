#include "engine/image/pillow_levels.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "formats/le_bytes.h"

namespace vit {

namespace {

void apply(Image& image, const std::array<std::array<uint8_t, 256>, 3>& table) {
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = table[i % 3][image.pixels[i]];
}

// Pillow's value for stb's widening of a `bits`-bit sample (its top `bits` bits hold the sample).
std::array<uint8_t, 256> narrow_channel(int bits) {
  std::array<uint8_t, 256> table{};
  const int max = (1 << bits) - 1;
  for (int v = 0; v < 256; ++v) table[v] = static_cast<uint8_t>((v >> (8 - bits)) * 255 / max);
  return table;
}

// Bits of the red, green and blue channels of a 16-bit BMP, or {0, 0, 0} for a layout Pillow
// does not open.
std::array<int, 3> bmp16_layout(const uint8_t* data, size_t size) {
  if (size < 54 || load_le32(data + 14) < 40 || load_le16(data + 28) != 16) return {0, 0, 0};
  const uint32_t compression = load_le32(data + 30);
  if (compression == 0) return {5, 5, 5};
  if (compression != 3 || size < 66) return {0, 0, 0};
  const uint32_t red = load_le32(data + 54), green = load_le32(data + 58), blue = load_le32(data + 62);
  if (red == 0xF800 && green == 0x07E0 && blue == 0x001F) return {5, 6, 5};
  if (red == 0x7C00 && green == 0x03E0 && blue == 0x001F) return {5, 5, 5};
  return {0, 0, 0};
}

}  // namespace

void rescale_pnm_samples(Image& image, int maxval) {
  if (maxval == 255) return;
  std::array<uint8_t, 256> level{};
  for (int v = 0; v < 256; ++v) {
    const double scaled = static_cast<double>(std::min(v, maxval)) / maxval * 255.0;
    level[v] = static_cast<uint8_t>(std::min(255.0, std::nearbyint(scaled)));  // ties to even, as Python's round
  }
  apply(image, {level, level, level});
}

void rescale_bmp16_channels(const uint8_t* data, size_t size, Image& image) {
  const std::array<int, 3> bits = bmp16_layout(data, size);
  if (bits[0] == 0) return;
  apply(image, {narrow_channel(bits[0]), narrow_channel(bits[1]), narrow_channel(bits[2])});
}

}  // namespace vit

#include "engine/image/image_bmp_check.h"

#include <cstdlib>

#include "formats/error.h"
#include "formats/le_bytes.h"

namespace vit {

void check_bmp_palette_indices(const uint8_t* data, size_t size, const std::string& where) {
  if (size < 30) return;
  const int64_t offset = load_le32(data + 10);
  const int64_t header = load_le32(data + 14);
  int64_t width = 0, height = 0, bits = 0, palette = 0;
  if (header == 12) {
    width = load_le16(data + 18);
    height = load_le16(data + 20);
    bits = load_le16(data + 24);
    palette = (offset - 14 - 24) / 3;  // stb's count for OS/2 headers
  } else {
    if (size < 34) return;
    width = static_cast<int32_t>(load_le32(data + 18));
    height = std::llabs(static_cast<int32_t>(load_le32(data + 22)));
    bits = load_le16(data + 28);
    const uint32_t compression = load_le32(data + 30);
    if (compression == 1 || compression == 2) return;  // RLE, which stb refuses
    palette = (offset - 14 - header) / 4;
  }
  if (bits != 1 && bits != 4 && bits != 8) return;
  if (palette <= 0) fail(where, "corrupt BMP: the pixel data offset leaves no room for the palette");
  if (palette >= (int64_t{1} << bits) || width <= 0) return;
  const int64_t row_bytes = (width * bits + 7) / 8;
  const int64_t stride = (row_bytes + 3) / 4 * 4;
  for (int64_t y = 0; y < height; ++y) {
    const int64_t start = offset + y * stride;
    for (int64_t x = 0; x < width; ++x) {
      const int64_t bit = x * bits;
      const int64_t at = start + bit / 8;
      if (at < 0 || static_cast<uint64_t>(at) >= size) return;
      const int index = (data[at] >> (8 - bits - bit % 8)) & ((1 << bits) - 1);
      if (index >= palette)
        fail(where, "corrupt BMP: a pixel uses palette entry " + std::to_string(index) + " of " +
                        std::to_string(palette));
    }
  }
}

}  // namespace vit

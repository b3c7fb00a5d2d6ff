#include "engine/image/png_palette.h"

#include <cstring>
#include <string>

#include "formats/crc32.h"

namespace vit {

namespace {

uint32_t be32(const uint8_t* p) { return (uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

struct Chunk {
  size_t start = 0;  // offset of its length field
  uint32_t length = 0;
  std::string type;
};

// The IHDR's colour type and the PLTE chunk, if any.
bool find_palette(const uint8_t* data, size_t size, int* color_type, Chunk* plte) {
  *color_type = -1;
  for (size_t pos = 8; pos + 12 <= size;) {
    Chunk c{pos, be32(data + pos), std::string(reinterpret_cast<const char*>(data + pos + 4), 4)};
    if (c.length > size - pos - 12) return false;
    if (c.type == "IHDR" && c.length >= 13) *color_type = data[pos + 8 + 9];
    if (c.type == "PLTE") {
      *plte = c;
      return true;
    }
    if (c.type == "IDAT" || c.type == "IEND") return false;
    pos += 12 + c.length;
  }
  return false;
}

}  // namespace

std::vector<uint8_t> png_with_full_palette(const uint8_t* data, size_t size) {
  int color_type = -1;
  Chunk plte;
  if (!find_palette(data, size, &color_type, &plte) || color_type != 3 || plte.length >= 768) return {};
  std::vector<uint8_t> out(data, data + plte.start);
  const size_t body = out.size();
  put_be32(out, 768);
  const uint8_t* entries = data + plte.start + 8;
  out.insert(out.end(), {'P', 'L', 'T', 'E'});
  out.insert(out.end(), entries, entries + plte.length - plte.length % 3);
  for (size_t i = plte.length / 3; i < 256; ++i) out.insert(out.end(), 3, static_cast<uint8_t>(i));
  put_be32(out, crc32_of(out.data() + body + 4, 4 + 768));
  const size_t rest = plte.start + 12 + plte.length;
  out.insert(out.end(), data + rest, data + size);
  return out;
}

}  // namespace vit

#include "crc32.h"

#include <zlib.h>

namespace vit {

uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size) {
  uLong c = crc;
  // zlib takes 32-bit lengths; feed larger buffers in pieces.
  constexpr size_t kChunk = size_t{1} << 30;
  while (size > 0) {
    size_t n = size < kChunk ? size : kChunk;
    c = ::crc32(c, data, static_cast<uInt>(n));
    data += n;
    size -= n;
  }
  return static_cast<uint32_t>(c);
}

}  // namespace vit

// CRC-32 (the ZIP / gzip polynomial) over buffers of any size, via zlib.
#pragma once
#include <cstddef>
#include <cstdint>

namespace vit {

// Continues `crc` (0 to start) over `size` bytes.
uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size);
inline uint32_t crc32_of(const uint8_t* data, size_t size) { return crc32_update(0, data, size); }

}  // namespace vit

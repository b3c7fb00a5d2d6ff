// Bounded raw-deflate decompression: never produces more than the size the caller expects.
#pragma once
#include <cstdint>
#include <string>

#include "byte_view.h"

namespace vit {

// Inflates the raw deflate stream `compressed` (no zlib/gzip wrapper), which must decode to
// exactly `expected_size` bytes and end exactly at the end of `compressed`. Decoding stops as
// soon as the output would exceed `expected_size`, so a bomb costs at most expected_size + 1
// bytes of memory and the time to produce them. Throws Error("<where>: ...") otherwise.
std::string inflate_raw(ByteView compressed, uint64_t expected_size, const std::string& where);

}  // namespace vit

// Structural check of a PNG before stb decodes it: stb accepts some corrupt deflate streams
// and then reads uninitialised memory, and it inflates without a size bound.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace vit {

// Walks the chunks, verifies the CRCs of the chunks before the first IDAT (as Pillow does),
// and inflates the IDAT stream with zlib (adler-32 checked) without keeping the output,
// refusing it when it is corrupt, ends early, or inflates to over 1 MiB more than the image
// needs. Throws Error("<where>: ..."). `data` must start with the PNG signature.
void check_png_structure(const uint8_t* data, size_t size, const std::string& where);

}  // namespace vit

// Checks shared by the decoder tests: a folder of files against Pillow's pixels, and decoding
// randomly changed copies of files.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vit::test {

std::vector<uint8_t> file_bytes(const std::string& path);

// Every file named in <folder>/expected.json ({"images": {name: {"width", "height", "rgb": hex}}},
// written by a generator from Pillow's own output) must decode to exactly those pixels, and
// probe_image must give the same size and the format named by the file's prefix ("png_..." is
// "PNG"). Returns how many files were checked.
int expect_folder_matches_pillow(const std::string& folder);

struct MutationOutcome {
  size_t decoded = 0;
  size_t refused = 0;
};

// Changes 1 to 4 random bytes of each file, `rounds` times a file: every outcome must be an
// image within a 65536-pixel limit that decodes the same twice (no uninitialised memory), or a
// one-line error naming the source "m".
MutationOutcome decode_mutations(const std::vector<std::string>& paths, int rounds, uint32_t seed);

}  // namespace vit::test

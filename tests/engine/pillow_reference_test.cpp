// Files where stb_image and Pillow disagree (GIF canvases and palettes, PNM maxvals, 16-bit
// BMPs), against what Pillow 9.4 itself returned for Image.open(f).convert('RGB')
// (tests/generators/make_pillow_reference_images.py).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/image/image_decode.h"
#include "formats/error.h"
#include "decode_checks.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

std::string folder() { return test::test_data("engine") + "/pillow"; }

using test::file_bytes;

TEST(PillowReference, EveryFileDecodesToPillowsPixels) { EXPECT_GE(test::expect_folder_matches_pillow(folder()), 17); }

std::string error_of(std::vector<uint8_t> bytes) {
  try {
    decode_image(bytes.data(), bytes.size(), "x.gif");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PillowReference, BrokenGifsAreRefusedNamingTheProblem) {
  const std::vector<uint8_t> gif = file_bytes(folder() + "/gif_pillow_lzw.gif");
  for (size_t cut : {size_t{13}, size_t{800}, gif.size() - 3})
    EXPECT_NE(error_of({gif.begin(), gif.begin() + static_cast<std::ptrdiff_t>(cut)}).find("x.gif: truncated GIF"),
              std::string::npos) << cut;
  const std::vector<uint8_t> plain = file_bytes(folder() + "/gif_local_table.gif");  // no global table
  std::vector<uint8_t> no_frame(plain.begin(), plain.begin() + 13);
  no_frame.push_back(0x3B);
  EXPECT_NE(error_of(no_frame).find("GIF has no image"), std::string::npos) << error_of(no_frame);
  // 1x1 frame, code size 2: a clear code (4), then code 7 while the table ends at 6.
  const std::vector<uint8_t> undefined_code = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0, 0x2C, 0, 0, 0, 0,
                                               1, 0, 1, 0, 0, 2, 1, 0x3C, 0, 0x3B};
  EXPECT_EQ(error_of(undefined_code), "x.gif: corrupt GIF: LZW code 7 is not defined");
}

TEST(PillowReference, PnmMaxvalZeroIsRefused) {
  const std::string pgm = std::string("P5\n2 1\n0\n") + '\0' + '\0';
  const std::vector<uint8_t> bytes(pgm.begin(), pgm.end());
  std::string message;
  try {
    decode_image(bytes.data(), bytes.size(), "zero.pgm");
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_EQ(message.rfind("zero.pgm: ", 0), 0u) << message;
}

}  // namespace
}  // namespace vit

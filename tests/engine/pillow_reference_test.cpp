// Files where stb_image and Pillow disagree (GIF canvases and palettes, PNM maxvals, 16-bit
// BMPs), against what Pillow 9.4 itself returned for Image.open(f).convert('RGB')
// (tests/generators/make_pillow_reference_images.py).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/image/image_decode.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

std::string folder() { return test::test_data("engine") + "/pillow"; }

std::vector<uint8_t> bytes_of(const std::string& path) {
  const std::string text = test::read_text(path);
  return std::vector<uint8_t>(text.begin(), text.end());
}

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(PillowReference, EveryFileDecodesToPillowsPixels) {
  const nlohmann::json expected = read_json_file(folder() + "/expected.json");
  int checked = 0;
  for (const auto& [name, want] : expected.at("images").items()) {
    SCOPED_TRACE(name);
    const Image image = load_image(folder() + "/" + name);
    EXPECT_EQ(image.width, want.at("width").get<int>());
    EXPECT_EQ(image.height, want.at("height").get<int>());
    EXPECT_EQ(image.pixels, from_hex(want.at("rgb").get<std::string>()));
    const std::vector<uint8_t> bytes = bytes_of(folder() + "/" + name);
    const ImageInfo info = probe_image(bytes.data(), bytes.size(), name);
    EXPECT_EQ(info.width, image.width);
    EXPECT_EQ(info.height, image.height);
    ++checked;
  }
  EXPECT_GE(checked, 17);
}

std::string error_of(std::vector<uint8_t> bytes) {
  try {
    decode_image(bytes.data(), bytes.size(), "x.gif");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PillowReference, BrokenGifsAreRefusedNamingTheProblem) {
  const std::vector<uint8_t> gif = bytes_of(folder() + "/gif_pillow_lzw.gif");
  for (size_t cut : {size_t{13}, size_t{800}, gif.size() - 3})
    EXPECT_NE(error_of({gif.begin(), gif.begin() + static_cast<std::ptrdiff_t>(cut)}).find("x.gif: truncated GIF"),
              std::string::npos) << cut;
  const std::vector<uint8_t> plain = bytes_of(folder() + "/gif_local_table.gif");  // no global table
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

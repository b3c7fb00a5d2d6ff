// JPEG (libjpeg-turbo) and PNG (libpng) decoding against what Pillow 9.4 itself returned for
// Image.open(f).convert('RGB'), bit for bit: the small files of every kind in
// data/pillow_codecs (tests/generators/make_pillow_codec_images.py) and the full-size sources
// of the preprocessing fixtures (their RGB bytes' CRC-32, from the same script).
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

#include "engine/image/image_decode.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "decode_checks.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

std::string folder() { return test::test_data("engine") + "/pillow_codecs"; }

std::vector<std::string> file_names() {
  const nlohmann::json expected = read_json_file(folder() + "/expected.json");
  std::vector<std::string> names;
  for (const auto& item : expected.at("images").items()) names.push_back(item.key());
  return names;
}

using test::file_bytes;

TEST(PillowCodecs, EveryFileDecodesToPillowsPixels) { EXPECT_GE(test::expect_folder_matches_pillow(folder()), 33); }

// Every prefix: refused with one line naming the file, or (when only bytes after the image data
// were cut, such as a PNG's IEND chunk) exactly the full image.
TEST(PillowCodecs, CutFilesAreRefusedOrComplete) {
  for (const std::string& name : file_names()) {
    SCOPED_TRACE(name);
    const std::vector<uint8_t> bytes = file_bytes(folder() + "/" + name);
    const Image full = decode_image(bytes.data(), bytes.size(), "cut");
    size_t refused = 0;
    for (size_t n = 0; n < bytes.size(); ++n) {
      try {
        EXPECT_EQ(decode_image(bytes.data(), n, "cut"), full) << n << " bytes";
      } catch (const Error& e) {
        ++refused;
        const std::string message = e.what();
        EXPECT_EQ(message.rfind("cut: ", 0), 0u) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      }
    }
    EXPECT_GE(refused + 12, bytes.size()) << refused << " of " << bytes.size() << " prefixes refused";
  }
}

// Random byte changes (corrupt Huffman data, bad markers, wrong sizes, bad checksums): every
// outcome is an image within the limit, the same twice, or a one-line error.
TEST(PillowCodecs, MutatedFilesAreDecodedOrRefusedCleanly) {
  std::vector<std::string> paths;
  for (const std::string& name : file_names()) paths.push_back(folder() + "/" + name);
  const test::MutationOutcome outcome = test::decode_mutations(paths, 200, 99);
  std::printf("  mutated files: %zu decoded, %zu refused\n", outcome.decoded, outcome.refused);
  EXPECT_GT(outcome.decoded, 0u);
  EXPECT_GT(outcome.refused, 0u);
}

TEST(PillowCodecs, TruncationIsNamedAsSuch) {
  for (const char* name : {"jpeg_420.jpg", "jpeg_progressive.jpg", "png_rgb8.png", "png_rgb8_interlaced.png"}) {
    SCOPED_TRACE(name);
    const std::vector<uint8_t> bytes = file_bytes(folder() + "/" + name);
    const std::string format = name[0] == 'j' ? "JPEG" : "PNG";
    try {
      decode_image(bytes.data(), bytes.size() * 2 / 3, "cut.img");
      ADD_FAILURE() << "decoded";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "cut.img: truncated " + format + ": the data ends before the image is complete");
    }
  }
}

TEST(PillowCodecs, FixtureSourcesDecodeToPillowsPixels) {
  VIT_REQUIRE_SHARED();
  const nlohmann::json expected = read_json_file(folder() + "/fixture_sources.json");
  int checked = 0;
  for (const auto& [name, want] : expected.at("images").items()) {
    SCOPED_TRACE(name);
    const Image image = load_image(test::fixture("preprocess") + "/" + name);
    EXPECT_EQ(image.width, want.at("width").get<int>());
    EXPECT_EQ(image.height, want.at("height").get<int>());
    EXPECT_EQ(crc32(0, image.pixels.data(), static_cast<uInt>(image.pixels.size())), want.at("rgb_crc32").get<uint32_t>());
    ++checked;
  }
  EXPECT_GE(checked, 26);
}

}  // namespace
}  // namespace vit

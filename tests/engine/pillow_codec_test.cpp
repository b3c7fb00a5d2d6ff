// JPEG (libjpeg-turbo) and PNG (libpng) decoding against what Pillow 9.4 itself returned for
// Image.open(f).convert('RGB'), bit for bit: the small files of every kind in
// data/pillow_codecs (tests/generators/make_pillow_codec_images.py) and the full-size sources
// of the preprocessing fixtures (their RGB bytes' CRC-32, from the same script).
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

#include "engine/image/image_decode.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

std::string folder() { return test::test_data("engine") + "/pillow_codecs"; }

std::vector<uint8_t> bytes_of(const std::string& path) {
  const std::string text = test::read_text(path);
  return std::vector<uint8_t>(text.begin(), text.end());
}

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(PillowCodecs, EveryFileDecodesToPillowsPixels) {
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
    EXPECT_EQ(info.format, name.rfind("jpeg", 0) == 0 ? "JPEG" : "PNG");
    ++checked;
  }
  EXPECT_GE(checked, 33);
}

// Every prefix: refused with one line naming the file, or (when only bytes after the image data
// were cut, such as a PNG's IEND chunk) exactly the full image.
TEST(PillowCodecs, CutFilesAreRefusedOrComplete) {
  const nlohmann::json expected = read_json_file(folder() + "/expected.json");
  for (const auto& item : expected.at("images").items()) {
    SCOPED_TRACE(item.key());
    const std::vector<uint8_t> bytes = bytes_of(folder() + "/" + item.key());
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
  const nlohmann::json expected = read_json_file(folder() + "/expected.json");
  std::mt19937 rng(99);
  DecodeOptions small;
  small.max_pixels = 1 << 16;
  size_t decoded = 0, refused = 0;
  for (const auto& item : expected.at("images").items()) {
    const std::vector<uint8_t> bytes = bytes_of(folder() + "/" + item.key());
    for (int round = 0; round < 200; ++round) {
      std::vector<uint8_t> mutated = bytes;
      for (int c = 1 + static_cast<int>(rng() % 4); c > 0; --c) mutated[rng() % mutated.size()] = static_cast<uint8_t>(rng());
      try {
        const Image image = decode_image(mutated.data(), mutated.size(), "m", small);
        EXPECT_LE(static_cast<uint64_t>(image.width) * image.height, small.max_pixels);
        EXPECT_EQ(image, decode_image(mutated.data(), mutated.size(), "m", small)) << item.key() << " " << round;
        ++decoded;
      } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("m: ", 0), 0u) << e.what();
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
        ++refused;
      }
    }
  }
  std::printf("  mutated files: %zu decoded, %zu refused\n", decoded, refused);
  EXPECT_GT(decoded, 0u);
  EXPECT_GT(refused, 0u);
}

TEST(PillowCodecs, TruncationIsNamedAsSuch) {
  for (const char* name : {"jpeg_420.jpg", "jpeg_progressive.jpg", "png_rgb8.png", "png_rgb8_interlaced.png"}) {
    SCOPED_TRACE(name);
    const std::vector<uint8_t> bytes = bytes_of(folder() + "/" + name);
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

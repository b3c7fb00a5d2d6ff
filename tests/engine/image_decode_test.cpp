// Decoding and PIL-style RGB conversion of every supported format; refusal of bad input.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

#include "engine/image/image_decode.h"
#include "engine/image/jpeg_decode.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "decode_checks.h"
#include "image_compare.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

std::string data_dir() { return vit::test::test_data("engine"); }

using test::file_bytes;

std::string hex(const std::vector<uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string error_of(const std::vector<uint8_t>& bytes, const std::string& where, DecodeOptions options = {}) {
  try {
    decode_image(bytes.data(), bytes.size(), where, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

nlohmann::json expected() { return read_json_file(data_dir() + "/expected.json"); }

// PNG chunks: `type_at` is the offset of the 4-byte chunk type.
uint32_t chunk_length(const std::vector<uint8_t>& png, size_t type_at) {
  return (uint32_t{png[type_at - 4]} << 24) | (uint32_t{png[type_at - 3]} << 16) | (uint32_t{png[type_at - 2]} << 8) |
         png[type_at - 1];
}

void fix_chunk_crc(std::vector<uint8_t>& png, size_t type_at) {
  const uint32_t length = chunk_length(png, type_at);
  const uint32_t crc = static_cast<uint32_t>(crc32(0, png.data() + type_at, length + 4));
  for (int i = 0; i < 4; ++i) png[type_at + 4 + length + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
}

TEST(ImageDecode, EveryFormatAndModeConvertsLikePil) {
  const nlohmann::json index = expected();
  int checked = 0;
  for (const auto& item : index.at("images").items()) {
    const std::string path = data_dir() + "/" + item.key();
    SCOPED_TRACE(item.key());
    if (item.value().is_object()) {
      const std::string want = item.value().at("error").get<std::string>();
      try {
        load_image(path);
        ADD_FAILURE() << "decoded, but should be refused with: " << want;
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << "names the file: " << e.what();
      }
      continue;
    }
    const Image image = load_image(path);
    EXPECT_EQ(image.width, index.at("width").get<int>());
    EXPECT_EQ(image.height, index.at("height").get<int>());
    EXPECT_EQ(hex(image.pixels), item.value().get<std::string>());
    // From memory too, with the same result.
    const std::vector<uint8_t> bytes = file_bytes(path);
    EXPECT_EQ(decode_image(bytes.data(), bytes.size(), item.key()), image);
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(ImageDecode, ProbeReadsTheHeaderOnly) {
  const std::vector<uint8_t> png = file_bytes(data_dir() + "/png_gray_alpha16.png");
  const ImageInfo info = probe_image(png.data(), png.size(), "x.png");
  EXPECT_EQ(info.format, "PNG");
  EXPECT_EQ(info.width, 5);
  EXPECT_EQ(info.height, 3);
  EXPECT_EQ(info.channels, 2);
  EXPECT_TRUE(info.sixteen_bit);
  const std::vector<uint8_t> tga = file_bytes(data_dir() + "/tga_rgba32.tga");
  EXPECT_EQ(probe_image(tga.data(), tga.size(), "x.tga").format, "TGA");
}

// Every prefix of every file: either refused, or (when only bytes the decoder never needs were
// cut, such as a trailing checksum) exactly the full image. Never a partly zero image.
TEST(ImageDecode, TruncatedFilesAreRefused) {
  const nlohmann::json index = expected();
  for (const auto& item : index.at("images").items()) {
    if (item.value().is_object()) continue;
    SCOPED_TRACE(item.key());
    const std::vector<uint8_t> bytes = file_bytes(data_dir() + "/" + item.key());
    const Image full = decode_image(bytes.data(), bytes.size(), item.key());
    size_t refused = 0;
    for (size_t n = 0; n < bytes.size(); ++n) {
      const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + n);
      try {
        const Image image = decode_image(prefix.data(), prefix.size(), item.key());
        EXPECT_EQ(image, full) << "a " << n << "-byte prefix decoded to different pixels";
      } catch (const Error& e) {
        ++refused;
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
        EXPECT_EQ(std::string(e.what()).rfind(item.key() + ": ", 0), 0u) << e.what();
      }
    }
    // At least everything up to the last pixel byte must be refused.
    EXPECT_GE(refused, bytes.size() * 3 / 4) << refused << " of " << bytes.size() << " prefixes refused";
  }
}

// Random byte changes: every outcome is either an image within the limit or a one-line error.
// VIT_MUTATION_SEED and VIT_MUTATION_ROUNDS widen the search locally (e.g. under valgrind).
TEST(ImageDecode, MutatedFilesAreDecodedOrRefusedCleanly) {
  const char* seed = std::getenv("VIT_MUTATION_SEED");
  const char* rounds = std::getenv("VIT_MUTATION_ROUNDS");
  const nlohmann::json index = expected();
  std::vector<std::string> paths;
  for (const auto& item : index.at("images").items()) paths.push_back(data_dir() + "/" + item.key());
  const test::MutationOutcome outcome =
      test::decode_mutations(paths, rounds ? std::atoi(rounds) : 300, seed ? static_cast<uint32_t>(std::atol(seed)) : 1234u);
  std::printf("  mutated files: %zu decoded, %zu refused\n", outcome.decoded, outcome.refused);
}

TEST(ImageDecode, TruncatedMessageSaysSo) {
  const std::vector<uint8_t> bytes = file_bytes(data_dir() + "/tga_rgb24.tga");
  const std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 4);
  EXPECT_EQ(error_of(cut, "cut.tga"), "cut.tga: truncated TGA: the data ends before the image is complete");
  const std::vector<uint8_t> ppm = file_bytes(data_dir() + "/pnm_rgb.ppm");
  EXPECT_NE(error_of(std::vector<uint8_t>(ppm.begin(), ppm.end() - 1), "cut.ppm").find("cut.ppm: "),
            std::string::npos);
}

TEST(ImageDecode, CorruptFilesAreRefused) {
  EXPECT_EQ(error_of({}, "empty.png"), "empty.png: is empty, not an image");
  const std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'};
  EXPECT_NE(error_of(text, "notes.txt").find("notes.txt: is not a supported image"), std::string::npos)
      << error_of(text, "notes.txt");

  std::vector<uint8_t> png = file_bytes(data_dir() + "/png_rgb8.png");
  std::vector<uint8_t> bad_depth = png;
  bad_depth[24] = 7;  // IHDR bit depth
  EXPECT_NE(error_of(bad_depth, "depth.png").find("depth.png: "), std::string::npos);
  EXPECT_NE(error_of(bad_depth, "depth.png"), "");

  std::vector<uint8_t> bad_zlib = png;
  const size_t idat = std::string(png.begin(), png.end()).find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  bad_zlib[idat + 4] = 0xFF;  // zlib header: wrong compression method
  bad_zlib[idat + 5] = 0xFF;
  fix_chunk_crc(bad_zlib, idat);
  EXPECT_EQ(error_of(bad_zlib, "zlib.png").rfind("zlib.png: corrupt PNG: IDAT: ", 0), 0u) << error_of(bad_zlib, "zlib.png");

  // A flipped bit in the pixel data under a valid chunk checksum: zlib's adler-32 notices.
  std::vector<uint8_t> bad_data = png;
  bad_data[idat + 4 + chunk_length(png, idat) - 3] ^= 0x10;  // inside the adler-32 trailer
  fix_chunk_crc(bad_data, idat);
  EXPECT_EQ(error_of(bad_data, "bit.png"), "bit.png: corrupt PNG: IDAT: incorrect data check");

  // Bad checksums: in the header (Pillow refuses these too) and in the image data.
  for (size_t at : {size_t{29}, idat + 4 + chunk_length(png, idat)}) {
    std::vector<uint8_t> bad_crc = png;
    bad_crc[at] ^= 1;
    EXPECT_NE(error_of(bad_crc, "crc.png").find("crc.png: corrupt PNG: I"), std::string::npos) << error_of(bad_crc, "crc.png");
    EXPECT_NE(error_of(bad_crc, "crc.png").find("CRC error"), std::string::npos) << error_of(bad_crc, "crc.png");
  }

  std::vector<uint8_t> bmp = file_bytes(data_dir() + "/bmp_rgb24.bmp");
  bmp[28] = 7;  // bits per pixel
  EXPECT_EQ(error_of(bmp, "bits.bmp").rfind("bits.bmp: ", 0), 0u);
}

// png_rgb8.png's header with one IDAT holding `raw` deflated.
std::vector<uint8_t> png_with_idat(const std::vector<uint8_t>& raw) {
  const std::vector<uint8_t> png = file_bytes(data_dir() + "/png_rgb8.png");
  uLongf packed_size = compressBound(raw.size());
  std::vector<uint8_t> packed(packed_size);
  EXPECT_EQ(compress2(packed.data(), &packed_size, raw.data(), raw.size(), 9), Z_OK);
  packed.resize(packed_size);
  std::vector<uint8_t> out(png.begin(), png.begin() + 33);  // signature + IHDR
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(packed.size() >> (24 - 8 * i)));
  out.insert(out.end(), {'I', 'D', 'A', 'T'});
  out.insert(out.end(), packed.begin(), packed.end());
  out.insert(out.end(), 4, 0);
  fix_chunk_crc(out, 37);
  out.insert(out.end(), png.end() - 12, png.end());  // IEND
  return out;
}

TEST(ImageDecode, PngDataBeyondTheImageIsIgnored) {
  // 5x3 RGB needs 3 rows of 1 filter byte + 15 samples = 48 bytes.
  std::vector<uint8_t> raw(48 + 1024, 0);  // a little trailing data occurs in the wild
  const std::vector<uint8_t> padded = png_with_idat(raw);
  EXPECT_EQ(decode_image(padded.data(), padded.size(), "pad.png"), Image(5, 3));
  // libpng inflates at most one small buffer past the image, however much more there is.
  raw.assign(48 + (size_t{64} << 20), 0);
  const std::vector<uint8_t> bomb = png_with_idat(raw);
  raw = {};
  EXPECT_EQ(decode_image(bomb.data(), bomb.size(), "bomb.png"), Image(5, 3));
  raw.assign(47, 0);
  EXPECT_EQ(error_of(png_with_idat(raw), "short.png"), "short.png: corrupt PNG: Not enough image data");
}

// A PNG whose header claims width x height, followed by a valid tiny image's other chunks.
std::vector<uint8_t> png_claiming(uint32_t width, uint32_t height) {
  std::vector<uint8_t> png = file_bytes(data_dir() + "/png_rgb8.png");
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = static_cast<uint8_t>(width >> (24 - 8 * i));
    png[20 + i] = static_cast<uint8_t>(height >> (24 - 8 * i));
  }
  fix_chunk_crc(png, 12);
  return png;
}

TEST(ImageDecode, OversizedHeadersAreRefusedBeforeDecoding) {
  // 100000 x 100000 would need 30 GB; the header alone must be enough to refuse it.
  const std::string e = error_of(png_claiming(100000, 100000), "huge.png");
  EXPECT_EQ(e, "huge.png: PNG image of 100000x100000 = 10000000000 pixels exceeds the limit of 67108864 pixels");

  const std::vector<uint8_t> small = file_bytes(data_dir() + "/png_rgb8.png");
  DecodeOptions tight;
  tight.max_pixels = 14;
  EXPECT_NE(error_of(small, "small.png", tight).find("5x3 = 15 pixels exceeds the limit of 14 pixels"),
            std::string::npos);
  tight.max_pixels = 15;
  EXPECT_EQ(error_of(small, "small.png", tight), "");

  EXPECT_EQ(error_of(png_claiming(10000, 10000), "big.png"),
            "big.png: PNG image of 10000x10000 = 100000000 pixels exceeds the limit of 67108864 pixels");

  // Over the default but under a raised limit: decoding proceeds and then fails on the data.
  DecodeOptions raised;
  raised.max_pixels = uint64_t{1} << 40;
  const std::string e2 = error_of(png_claiming(9000, 9000), "big.png", raised);
  EXPECT_EQ(e2.find("exceeds the limit"), std::string::npos) << e2;
  EXPECT_EQ(e2.rfind("big.png: ", 0), 0u) << e2;
}

// Every source of the preprocessing fixtures against Pillow's convert('RGB') of it (the
// <name>_rgb.png files; without one, a gray PNG's own pixels copied to RGB).
TEST(ImageDecode, FixtureSourcesDecodeExactlyLikePillow) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::fixture("preprocess");
  // Gray PNG: convert('RGB') copies the gray value.
  EXPECT_EQ(load_image(dir + "/camera.png"), load_image(dir + "/camera_rgb.png"));
  const Image chelsea = load_image(dir + "/chelsea.png");
  EXPECT_EQ(chelsea.width, 451);
  EXPECT_EQ(chelsea.height, 300);
  const Image ours = load_image(dir + "/hubble_deep_field.jpg");
  const Image pil = load_image(dir + "/hubble_deep_field_rgb.png");
  ASSERT_EQ(ours.width, pil.width);
  ASSERT_EQ(ours.height, pil.height);
  const test::ImageDifference d = test::compare_images(ours, pil);
  std::printf("  hubble_deep_field.jpg vs Pillow: %s\n", d.text().c_str());
  EXPECT_EQ(d.pixels_differing, 0u);
  EXPECT_EQ(ours, pil);
}

TEST(ImageDecode, OversizedJpegHeaderIsRefused) {
  VIT_REQUIRE_SHARED();
  std::vector<uint8_t> jpeg = file_bytes(test::fixture("preprocess") + "/hubble_deep_field.jpg");
  const std::string text(jpeg.begin(), jpeg.end());
  const size_t sof = text.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  for (int i = 5; i < 9; ++i) jpeg[sof + i] = i % 2 ? 0xFD : 0xE8;  // height and width 65000
  EXPECT_EQ(error_of(jpeg, "huge.jpg"),
            "huge.jpg: JPEG image of 65000x65000 = 4225000000 pixels exceeds the limit of 67108864 pixels");
  for (int i = 5; i < 9; ++i) jpeg[sof + i] = 0xFF;  // 65535: over libjpeg's own limit
  EXPECT_EQ(error_of(jpeg, "huge.jpg"), "huge.jpg: corrupt JPEG: Maximum supported image dimension is 65500 pixels");
}

TEST(ImageDecode, TruncatedJpegIsRefused) {
  VIT_REQUIRE_SHARED();
  const std::vector<uint8_t> jpeg = file_bytes(test::fixture("preprocess") + "/hubble_deep_field.jpg");
  for (size_t keep : {jpeg.size() / 3, jpeg.size() / 2, jpeg.size() - 1000, jpeg.size() - 2}) {
    SCOPED_TRACE(keep);
    const std::vector<uint8_t> cut(jpeg.begin(), jpeg.begin() + keep);
    EXPECT_EQ(error_of(cut, "cut.jpg"), "cut.jpg: truncated JPEG: the data ends before the image is complete");
  }
}

TEST(ImageDecode, JpegsWithThousandsOfScansAreRefused) {
  // A 1x1 gray progressive JPEG: quantisation table, one DC Huffman table (a single one-bit
  // code, for difference 0), then the same DC scan over and over (libjpeg accepts repeats).
  std::vector<uint8_t> jpeg = {0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00};
  jpeg.insert(jpeg.end(), 64, 1);
  jpeg.insert(jpeg.end(), {0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00});
  jpeg.insert(jpeg.end(), {0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01});
  jpeg.insert(jpeg.end(), 15, 0);
  jpeg.push_back(0);  // the symbol: difference category 0
  auto with_scans = [&](int count) {
    std::vector<uint8_t> file = jpeg;
    for (int i = 0; i < count; ++i)
      file.insert(file.end(), {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x7F});
    file.insert(file.end(), {0xFF, 0xD9});
    return file;
  };
  const std::vector<uint8_t> few = with_scans(kMaxJpegScans);
  const Image image = decode_image(few.data(), few.size(), "few.jpg");
  EXPECT_EQ(image.width, 1);
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{128, 128, 128}));  // DC 0: mid-gray
  EXPECT_EQ(error_of(with_scans(kMaxJpegScans + 1), "many.jpg"),
            "many.jpg: JPEG has more than 256 scans, too costly to decode");
}

}  // namespace
}  // namespace vit

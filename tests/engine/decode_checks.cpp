#include "decode_checks.h"

#include <cctype>
#include <random>

#include <gtest/gtest.h>

#include "engine/image/image_decode.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "test_support/shared_data.h"

namespace vit::test {

std::vector<uint8_t> file_bytes(const std::string& path) {
  const std::string text = read_text(path);
  return std::vector<uint8_t>(text.begin(), text.end());
}

namespace {

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string format_named_by(const std::string& name) {
  std::string format = name.substr(0, name.find('_'));
  for (char& c : format) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return format;
}

}  // namespace

int expect_folder_matches_pillow(const std::string& folder) {
  const nlohmann::json expected = read_json_file(folder + "/expected.json");
  int checked = 0;
  for (const auto& [name, want] : expected.at("images").items()) {
    SCOPED_TRACE(name);
    const Image image = load_image(folder + "/" + name);
    EXPECT_EQ(image.width, want.at("width").get<int>());
    EXPECT_EQ(image.height, want.at("height").get<int>());
    EXPECT_EQ(image.pixels, from_hex(want.at("rgb").get<std::string>()));
    const std::vector<uint8_t> bytes = file_bytes(folder + "/" + name);
    const ImageInfo info = probe_image(bytes.data(), bytes.size(), name);
    EXPECT_EQ(info.width, image.width);
    EXPECT_EQ(info.height, image.height);
    EXPECT_EQ(info.format, format_named_by(name));
    ++checked;
  }
  return checked;
}

MutationOutcome decode_mutations(const std::vector<std::string>& paths, int rounds, uint32_t seed) {
  std::mt19937 rng(seed);
  DecodeOptions small;
  small.max_pixels = 1 << 16;
  MutationOutcome outcome;
  for (const std::string& path : paths) {
    const std::vector<uint8_t> bytes = file_bytes(path);
    for (int round = 0; round < rounds; ++round) {
      std::vector<uint8_t> mutated = bytes;
      const int changes = 1 + static_cast<int>(rng() % 4);
      for (int c = 0; c < changes; ++c) mutated[rng() % mutated.size()] = static_cast<uint8_t>(rng());
      try {
        const Image image = decode_image(mutated.data(), mutated.size(), "m", small);
        EXPECT_LE(static_cast<uint64_t>(image.width) * image.height, small.max_pixels);
        // Deterministic: no pixel comes from uninitialised memory (run under valgrind to be sure).
        EXPECT_EQ(image, decode_image(mutated.data(), mutated.size(), "m", small)) << path << " " << round;
        ++outcome.decoded;
      } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).rfind("m: ", 0), 0u) << e.what();
        ++outcome.refused;
      }
    }
  }
  return outcome;
}

}  // namespace vit::test

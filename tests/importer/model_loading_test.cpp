// load_model reads matrices one at a time from the mapped file (float32 without a copy, other
// types converted); the result must equal a model built from fully materialized weights.
#include <cstring>
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "formats/json_file.h"
#include "formats/npy.h"
#include "formats/safetensors.h"
#include "importer/import_checkpoint.h"
#include "imported_model.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

VitModel materialized(const std::string& dir) {
  const std::string weights_path = dir + "/" + kWeightsFile;
  VitConfig config = config_from_json(read_json_file(dir + "/" + kConfigFile), dir);
  const SafetensorsFile file = SafetensorsFile::open(weights_path);
  std::vector<std::string> names;
  for (const auto& entry : file.tensors()) names.push_back(entry.first);
  VitWeights weights = load_weights(config, [&](const std::string& n) { return file.find(n); }, names, weights_path);
  return VitModel(std::move(config), std::move(weights));
}

uint16_t to_bf16_truncated(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return static_cast<uint16_t>(bits >> 16);
}

TEST(ModelLoading, MappedMatricesGiveTheMaterializedModelsLogitsBitForBit) {
  VIT_REQUIRE_SHARED();
  for (const char* fixture : {"vit_classifier", "vit_siglip_map", "deit_distilled"}) {
    const std::string dir = test::import_to_scratch(test::fixture(fixture), "loading");
    EXPECT_EQ(test::fixture_logits(load_model(dir), fixture), test::fixture_logits(materialized(dir), fixture)) << fixture;
  }
}

TEST(ModelLoading, Bfloat16StoredMatricesAreConvertedOneAtATime) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("vit_classifier"), "loading");
  // Rewrite every tensor as bfloat16; the float32 folder gets the same rounded values.
  const std::string weights_path = dir + "/" + kWeightsFile;
  std::vector<std::vector<uint16_t>> halves;
  std::vector<std::vector<float>> rounded;
  std::vector<SafetensorsEntry> bf16_entries, f32_entries;
  {
    const SafetensorsFile file = SafetensorsFile::open(weights_path);
    for (const auto& [name, tensor] : file.tensors()) {
      std::vector<uint16_t> h;
      std::vector<float> r;
      for (float v : tensor.to_float()) {
        h.push_back(to_bf16_truncated(v));
        const uint32_t bits = uint32_t{h.back()} << 16;
        float back;
        std::memcpy(&back, &bits, sizeof back);
        r.push_back(back);
      }
      halves.push_back(std::move(h));
      rounded.push_back(std::move(r));
      bf16_entries.push_back({name, DType::BF16, tensor.shape, halves.back().data(), halves.back().size() * 2});
      f32_entries.push_back({name, DType::F32, tensor.shape, rounded.back().data(), rounded.back().size() * 4});
    }
  }
  const std::string bf16_dir = test::scratch_dir("loading_bf16");
  std::filesystem::copy_file(dir + "/" + kConfigFile, bf16_dir + "/" + kConfigFile);
  write_safetensors(bf16_dir + "/" + kWeightsFile, bf16_entries);
  write_safetensors(weights_path, f32_entries);
  EXPECT_EQ(test::fixture_logits(load_model(bf16_dir), "vit_classifier"), test::fixture_logits(materialized(dir), "vit_classifier"));
}

}  // namespace
}  // namespace vit

// load_model reads matrices one at a time from the mapped file (float32 without a copy, other
// types converted); the result must equal a model built from fully materialized weights.
#include <cstring>
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "engine/model_folder.h"
#include "formats/json_file.h"
#include "formats/npy.h"
#include "formats/safetensors.h"
#include "importer/import_checkpoint.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

std::string import_fixture(const std::string& name) {
  ImportOptions o;
  o.checkpoint = test::fixture(name);
  o.output_dir = test::scratch_dir("loading") + "/model";
  std::ostringstream log;
  EXPECT_TRUE(import_checkpoint(o, log).written) << log.str();
  return o.output_dir;
}

std::vector<float> logits(const VitModel& model, const std::string& fixture) {
  const NpyArray input = read_npy(test::fixture(fixture) + "/input.npy");
  const std::vector<float> pixels = input.tensor().to_float();
  return model.forward(pixels.data(), int(input.shape[0]), int(input.shape[2]), int(input.shape[3]), kLogits).logits;
}

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
    const std::string dir = import_fixture(fixture);
    EXPECT_EQ(logits(load_model(dir), fixture), logits(materialized(dir), fixture)) << fixture;
  }
}

TEST(ModelLoading, Bfloat16StoredMatricesAreConvertedOneAtATime) {
  VIT_REQUIRE_SHARED();
  const std::string dir = import_fixture("vit_classifier");
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
  EXPECT_EQ(logits(load_model(bf16_dir), "vit_classifier"), logits(materialized(dir), "vit_classifier"));
}

}  // namespace
}  // namespace vit

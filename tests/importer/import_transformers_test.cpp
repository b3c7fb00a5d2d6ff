// vitimport --checkpoint <transformers folder>: verifies against the fixture's references,
// writes a folder that vitrun runs with the same outputs, also as int8, and --hf-only keeps
// what transformers' ViT can load.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "formats/json_file.h"
#include "formats/npy.h"
#include "formats/safetensors.h"
#include "formats/text.h"
#include "formats/torch_checkpoint.h"
#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

std::string hf_fixture(const std::string& folder) { return test::fixtures_dir() + "/hf/" + folder; }

// --reference-output for every output reference of the fixture's input.npy.
std::string reference_arguments(const std::string& dir) {
  std::string args = " --reference-input " + dir + "/input.npy";
  for (const char* kind : {"logits", "pre_logits", "features", "pooler_output", "image_embeds"})
    if (fs::exists(dir + "/" + kind + ".npy")) args += std::string(" --reference-output ") + dir + "/" + kind + ".npy";
  return args;
}

int vitimport(const std::string& arguments, std::string* log) {
  return test::run_command(test::tool_path("vitimport") + " --no-cache " + arguments, log);
}

class ImportTransformers : public ::testing::TestWithParam<const char*> {};

TEST_P(ImportTransformers, VerifiesEveryReferenceAndWritesAFolderWithTheSameOutputs) {
  VIT_REQUIRE_SHARED();
  const std::string dir = hf_fixture(GetParam());
  const std::string out = test::scratch_dir("import_hf") + "/model";
  std::string log;
  ASSERT_EQ(vitimport("--checkpoint " + dir + " --out " + out + reference_arguments(dir), &log), 0) << log;
  EXPECT_EQ(log.find("FAILED"), std::string::npos) << log;
  EXPECT_NE(log.find("OK"), std::string::npos) << log;
  // The written folder gives the fixture's features again, through the engine's own names.
  const VitModel model = load_model(out);
  const NpyArray input = read_npy(dir + "/input.npy");
  const std::vector<float> pixels = input.tensor().to_float();
  const std::vector<float> features = model.forward(pixels.data(), static_cast<int>(input.shape[0]),
                                                    static_cast<int>(input.shape[2]),
                                                    static_cast<int>(input.shape[3]), kFeatures)
                                          .features;
  EXPECT_EQ(features, load_model(dir)
                          .forward(pixels.data(), static_cast<int>(input.shape[0]), static_cast<int>(input.shape[2]),
                                   static_cast<int>(input.shape[3]), kFeatures)
                          .features);
  EXPECT_EQ(read_json_file(out + "/preprocessor_config.json"), read_json_file(dir + "/preprocessor_config.json"));
}

TEST_P(ImportTransformers, Int8FoldersAreWrittenWhenTheyStayWithinTheCosineBound) {
  VIT_REQUIRE_SHARED();
  const std::string dir = hf_fixture(GetParam());
  const std::string out = test::scratch_dir("import_hf_int8") + "/model";
  std::string log;
  ASSERT_EQ(vitimport("--checkpoint " + dir + " --out " + out + " --dtype int8", &log), 0) << log;
  EXPECT_NE(log.find("int8: "), std::string::npos) << log;
  EXPECT_EQ(read_json_file(out + "/config.json").at("weights_dtype"), "int8");
}

INSTANTIATE_TEST_SUITE_P(Folders, ImportTransformers,
                         ::testing::Values("vit_classifier", "vit_pooler", "deit_distilled", "dinov2", "clip",
                                           "siglip"));

TEST(ImportTransformersHfOnly, KeepsViTFoldersAndRefusesOtherFamiliesWithTheReason) {
  VIT_REQUIRE_SHARED();
  std::string log;
  EXPECT_EQ(vitimport("--hf-only --checkpoint " + hf_fixture("vit_pooler"), &log), 0) << log;
  EXPECT_EQ(vitimport("--hf-only --checkpoint " + hf_fixture("clip"), &log), 2) << log;
  EXPECT_NE(log.find("clip CLIPModel is not supported in transformers because of the presence of fc_norm."),
            std::string::npos)
      << log;
}

TEST(ImportTransformersHfOnly, TimmOnlyOptionsAreRefused) {
  VIT_REQUIRE_SHARED();
  std::string log;
  EXPECT_EQ(vitimport("--checkpoint " + hf_fixture("dinov2") + " --vit_name vit_small_patch14_dinov2", &log), 2);
  EXPECT_NE(log.find("is a transformers folder: its config.json says what it is"), std::string::npos) << log;
}

// A timm ViT that lacks only the qkv bias is what transformers' ViTConfig(qkv_bias=False)
// builds, so --hf-only writes it as a plain "vit" folder.
TEST(ImportTransformersHfOnly, AViTWithoutQkvBiasIsWrittenAsATransformersViT) {
  VIT_REQUIRE_SHARED();
  const std::string source = test::scratch_dir("no_qkv_bias_source");
  nlohmann::json config = read_json_file(test::fixture("vit_classifier") + "/config.json");
  config["model_args"]["qkv_bias"] = false;
  write_json_file(source + "/config.json", config);
  const PickleValue state = load_torch_checkpoint(test::fixture("vit_classifier") + "/pytorch_model.bin");
  std::vector<SafetensorsEntry> entries;
  for (const auto& [name, t] : tensor_entries(state)) {
    if (ends_with(name, "attn.qkv.bias")) continue;
    entries.push_back({name, t.dtype, t.shape, t.storage.data + t.offset * dtype_size(t.dtype),
                       static_cast<size_t>(t.numel()) * dtype_size(t.dtype)});
  }
  write_safetensors(source + "/model.safetensors", entries);
  const std::string out = test::scratch_dir("no_qkv_bias") + "/model";
  std::string log;
  ASSERT_EQ(vitimport("--hf-only --checkpoint " + source + " --out " + out, &log), 0) << log;
  const nlohmann::json written = read_json_file(out + "/config.json");
  EXPECT_EQ(written.at("model_type"), "vit");
  EXPECT_EQ(written.at("qkv_bias"), false);
  EXPECT_FALSE(load_model(out).config().qkv_bias);
}

}  // namespace
}  // namespace vit

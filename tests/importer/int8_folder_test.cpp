// vitimport --dtype int8: proj/fc1/fc2 stored as int8 with per-row scales, in a vitcpp folder
// that runs in int8 by default and stays within cosine 0.999 of the float32 model.
#include <cmath>
#include <sstream>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "formats/npy.h"
#include "formats/safetensors.h"
#include "importer/import_checkpoint.h"
#include "importer/int8_export.h"
#include "imported_model.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

TEST(Int8Folder, StoresBlockMatricesAsInt8WithRowScales) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("vit_classifier"), "int8_layout", true);
  const nlohmann::json config = read_json_file(dir + "/config.json");
  EXPECT_EQ(config["model_type"], "vitcpp");
  EXPECT_EQ(config["weights_dtype"], "int8");
  const SafetensorsFile file = SafetensorsFile::open(dir + "/model.safetensors");
  int int8_matrices = 0;
  for (const auto& [name, t] : file.tensors()) {
    const bool storable = name.find(".attention.output.dense.weight") != std::string::npos ||
                          name.find(".intermediate.dense.weight") != std::string::npos ||
                          (name.find(".output.dense.weight") != std::string::npos && name.find("attention") == std::string::npos);
    if (name.size() > 6 && name.compare(name.size() - 6, 6, "_scale") == 0) {
      EXPECT_EQ(t.dtype, DType::F32) << name;
      continue;
    }
    EXPECT_EQ(t.dtype, storable ? DType::I8 : DType::F32) << name;
    if (storable) {
      ++int8_matrices;
      const StoredTensor* scale = file.find(int8_scale_name(name));
      ASSERT_NE(scale, nullptr) << name;
      EXPECT_EQ(scale->shape, std::vector<int64_t>{t.shape[0]});
    }
  }
  EXPECT_EQ(int8_matrices, 3 * read_json_file(dir + "/config.json")["num_hidden_layers"].get<int>());
}

TEST(Int8Folder, RunsInInt8ByDefaultAndMatchesTheFloatFolderQuantizedAtLoad) {
  VIT_REQUIRE_SHARED();
  for (const char* fixture : {"vit_tiny_real", "vit_layerscale", "deit_distilled"}) {
    const std::string input = test::fixture(fixture) + "/input.npy";
    const std::string int8_dir = test::import_to_scratch(test::fixture(fixture), "int8_a", true);
    const std::string f32_dir = test::import_to_scratch(test::fixture(fixture), "int8_b", false);
    const VitModel int8_model = load_model(int8_dir);
    EXPECT_EQ(int8_model.precision(), Precision::Int8);
    const std::vector<float> from_folder = test::logits_on(int8_model, input);
    const std::vector<float> quantized_at_load = test::logits_on(load_model(f32_dir, Precision::Int8), input);
    const std::vector<float> f32 = test::logits_on(load_model(f32_dir), input);
    const int batch = int(read_npy(input).shape[0]);
    // The same int8 values; dequantizing and requantizing may move a row scale by one ulp.
    EXPECT_GE(min_row_cosine(from_folder, quantized_at_load, batch), 0.99999) << fixture;
    EXPECT_GE(min_row_cosine(from_folder, f32, batch), 0.999) << fixture;
    // Run in float32, the int8 folder is its dequantized weights: still close to float32.
    EXPECT_GE(min_row_cosine(test::logits_on(load_model(int8_dir, Precision::F32), input), f32, batch), 0.999) << fixture;
  }
}

TEST(Int8Folder, DigitsTopOneMatchesFloat32) {
  VIT_REQUIRE_SHARED();
  const std::string digits = test::shared_dir() + "/digits";
  const std::vector<float> int8 = test::logits_on(load_model(test::import_to_scratch(digits + "/model", "int8_digits", true)), digits + "/test_pixels.npy");
  const std::vector<float> f32 = test::logits_on(load_model(test::import_to_scratch(digits + "/model", "f32_digits", false)), digits + "/test_pixels.npy");
  const size_t images = f32.size() / 10;
  size_t same = 0;
  for (size_t b = 0; b < images; ++b)
    same += std::max_element(&int8[b * 10], &int8[b * 10 + 10]) - &int8[b * 10] ==
            std::max_element(&f32[b * 10], &f32[b * 10 + 10]) - &f32[b * 10];
  std::cout << "int8 folder top-1 equals f32 on " << same << "/" << images << " digits\n";
  EXPECT_GE(same, 0.99 * images);
}

TEST(Int8Folder, MissingOrMisshapenScalesAreRefusedNamingTheTensor) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("vit_classifier"), "int8_bad", true);
  std::vector<SafetensorsEntry> entries;
  const std::string weights = dir + "/model.safetensors";
  const std::string scale = "vit.encoder.layer.0.intermediate.dense.weight_scale";
  std::vector<float> short_scale(3, 1.0f);
  {
    const SafetensorsFile file = SafetensorsFile::open(weights);
    for (const auto& [name, t] : file.tensors())
      if (name != scale) entries.push_back({name, t.dtype, t.shape, t.storage.data, t.storage.size});
    const std::string bad = test::scratch_dir("int8_bad_missing") + "/model.safetensors";
    write_safetensors(bad, entries);
    try {
      SafetensorsFile broken = SafetensorsFile::open(bad);
      VitConfig config = config_from_json(read_json_file(dir + "/config.json"), dir);
      std::vector<std::string> names;
      for (const auto& e : entries) names.push_back(e.name);
      load_weights(config, [&](const std::string& n) { return broken.find(n); }, names, bad);
      ADD_FAILURE() << "a missing scale was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(scale), std::string::npos) << e.what();
    }
    entries.push_back({scale, DType::F32, {3}, short_scale.data(), short_scale.size() * sizeof(float)});
    write_safetensors(weights, entries);
  }
  try {
    load_model(dir);
    ADD_FAILURE() << "a scale of the wrong shape was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("one value per row"), std::string::npos) << e.what();
  }
}

TEST(Int8Folder, HfOnlyRefusesInt8) {
  VIT_REQUIRE_SHARED();
  std::string output;
  const int code = test::run_command(test::tool_path("vitimport") + " --checkpoint " + test::fixture("vit_classifier") +
                                         " --out " + test::scratch_dir("int8_hf") + "/m --dtype int8 --hf-only",
                                     &output);
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("int8 folders are vitcpp folders"), std::string::npos) << output;
}

}  // namespace
}  // namespace vit

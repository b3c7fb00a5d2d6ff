// Golden checks of the transformers ViT layout: config.json has what ViTConfig needs, and
// model.safetensors has exactly the state-dict keys and shapes of ViTForImageClassification /
// ViTModel(add_pooling_layer=False). The expected names are written out here independently of
// the engine's weight table.
#include <filesystem>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "formats/json_file.h"
#include "formats/safetensors.h"
#include "importer/import_checkpoint.h"
#include "imported_model.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

using Shapes = std::map<std::string, std::vector<int64_t>>;

Shapes hf_vit_state_dict(bool with_head, int64_t D, int64_t layers, int64_t mlp, int64_t tokens, int64_t patch,
                         int64_t classes) {
  const std::string base = with_head ? "vit." : "";
  Shapes s;
  s[base + "embeddings.cls_token"] = {1, 1, D};
  s[base + "embeddings.position_embeddings"] = {1, tokens, D};
  s[base + "embeddings.patch_embeddings.projection.weight"] = {D, 3, patch, patch};
  s[base + "embeddings.patch_embeddings.projection.bias"] = {D};
  for (int64_t i = 0; i < layers; ++i) {
    const std::string l = base + "encoder.layer." + std::to_string(i) + ".";
    for (const char* p : {"attention.attention.query", "attention.attention.key", "attention.attention.value",
                          "attention.output.dense"}) {
      s[l + p + ".weight"] = {D, D};
      s[l + p + ".bias"] = {D};
    }
    s[l + "intermediate.dense.weight"] = {mlp, D};
    s[l + "intermediate.dense.bias"] = {mlp};
    s[l + "output.dense.weight"] = {D, mlp};
    s[l + "output.dense.bias"] = {D};
    for (const char* n : {"layernorm_before", "layernorm_after"}) {
      s[l + n + ".weight"] = {D};
      s[l + n + ".bias"] = {D};
    }
  }
  s[base + "layernorm.weight"] = {D};
  s[base + "layernorm.bias"] = {D};
  if (with_head) {
    s["classifier.weight"] = {classes, D};
    s["classifier.bias"] = {classes};
  }
  return s;
}

Shapes shapes_in(const std::string& file) {
  Shapes s;
  SafetensorsFile f = SafetensorsFile::open(file);
  for (const auto& [name, t] : f.tensors()) {
    EXPECT_EQ(t.dtype, DType::F32) << name;
    s[name] = t.shape;
  }
  EXPECT_EQ(f.metadata().at("format"), "pt");  // transformers refuses files without it
  return s;
}

TEST(HfLayout, ClassifierConfigHasEveryViTConfigKey) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("vit_classifier"), "out");
  const nlohmann::json c = read_json_file(dir + "/config.json");
  EXPECT_EQ(c["model_type"], "vit");
  EXPECT_EQ(c["architectures"], nlohmann::json::array({"ViTForImageClassification"}));
  EXPECT_EQ(c["hidden_size"], 64);
  EXPECT_EQ(c["num_hidden_layers"], 2);
  EXPECT_EQ(c["num_attention_heads"], 4);
  EXPECT_EQ(c["intermediate_size"], 256);
  EXPECT_EQ(c["hidden_act"], "gelu");
  EXPECT_DOUBLE_EQ(c["layer_norm_eps"].get<double>(), static_cast<double>(1e-6f));
  EXPECT_EQ(c["image_size"], 32);
  EXPECT_EQ(c["patch_size"], 8);
  EXPECT_EQ(c["num_channels"], 3);
  EXPECT_EQ(c["qkv_bias"], true);
  EXPECT_EQ(c["encoder_stride"], 8);
  EXPECT_EQ(c["hidden_dropout_prob"], 0.0);
  EXPECT_EQ(c["attention_probs_dropout_prob"], 0.0);
  ASSERT_EQ(c["id2label"].size(), 1000u);
  EXPECT_EQ(c["id2label"]["0"], "n01440764");  // timm's ImageNetInfo.index_to_label_name(0)
  EXPECT_EQ(c["label2id"]["n01440764"], 0);
  EXPECT_EQ(shapes_in(dir + "/model.safetensors"), hf_vit_state_dict(true, 64, 2, 256, 17, 8, 1000));

  const nlohmann::json p = read_json_file(dir + "/preprocessor_config.json");
  EXPECT_EQ(p["image_processor_type"], "ViTImageProcessor");
  EXPECT_EQ(p["size"], (nlohmann::json{{"height", 32}, {"width", 32}}));
  EXPECT_EQ(p["image_mean"], (nlohmann::json{0.5, 0.5, 0.5}));
  EXPECT_EQ(p["resample"], 3);  // the fixture's pretrained_cfg says bicubic
}

TEST(HfLayout, FeatureExtractorIsAViTModelWithoutPrefixOrHead) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("vit_features"), "out");
  const nlohmann::json c = read_json_file(dir + "/config.json");
  EXPECT_EQ(c["architectures"], nlohmann::json::array({"ViTModel"}));
  EXPECT_FALSE(c.contains("id2label"));
  EXPECT_EQ(shapes_in(dir + "/model.safetensors"), hf_vit_state_dict(false, 64, 2, 256, 17, 8, 0));
}

TEST(HfLayout, DeitGetsTheDeitProcessorWithTimmCrop) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("deit_classifier"), "out");
  const nlohmann::json p = read_json_file(dir + "/preprocessor_config.json");
  EXPECT_EQ(p["image_processor_type"], "DeiTImageProcessor");
  EXPECT_EQ(p["crop_size"], (nlohmann::json{{"height", 32}, {"width", 32}}));
  EXPECT_EQ(p["size"], (nlohmann::json{{"height", 35}, {"width", 35}}));  // floor(32 / 0.9)
  EXPECT_EQ(shapes_in(dir + "/model.safetensors"), hf_vit_state_dict(true, 48, 3, 192, 17, 8, 1000));
}

TEST(HfLayout, VariantsGetTheVitcppModelType) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("vit_reg4"), "out");
  const nlohmann::json c = read_json_file(dir + "/config.json");
  EXPECT_EQ(c["model_type"], "vitcpp");
  EXPECT_EQ(c["register_tokens"], 4);
  EXPECT_EQ(c["class_token"], false);
  EXPECT_EQ(c["pos_embed_covers_prefix"], false);
  EXPECT_EQ(c["pooling"], "avg");
  EXPECT_EQ(c["fc_norm"], true);
  EXPECT_EQ(c["final_norm"], false);
  const Shapes s = shapes_in(dir + "/model.safetensors");
  EXPECT_EQ(s.at("vit.embeddings.register_tokens"), (std::vector<int64_t>{1, 4, 64}));
  EXPECT_EQ(s.at("vit.embeddings.position_embeddings"), (std::vector<int64_t>{1, 16, 64}));
  EXPECT_EQ(s.count("vit.layernorm.weight"), 0u);
  EXPECT_EQ(s.at("vit.fc_norm.weight"), (std::vector<int64_t>{64}));
}

}  // namespace
}  // namespace vit

// What the Hugging Face families' configs may not ask for: each refusal is one line naming the
// field and its value, never a guess.
#include <string>

#include <gtest/gtest.h>

#include "engine/model/vit_config.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

nlohmann::json fixture_config(const std::string& folder) {
  return read_json_file(test::fixtures_dir() + "/hf/" + folder + "/config.json");
}

std::string refusal(const nlohmann::json& config) {
  try {
    config_from_json(config, "config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

struct Edit {
  const char* folder;
  const char* pointer;  // JSON pointer of the field to set
  const char* value;    // JSON text
  const char* message;  // expected in the one-line error
};

std::ostream& operator<<(std::ostream& os, const Edit& e) { return os << e.folder << e.pointer << "=" << e.value; }

class HfConfigRefusals : public ::testing::TestWithParam<Edit> {};

TEST_P(HfConfigRefusals, NameTheFieldAndItsValue) {
  VIT_REQUIRE_SHARED();
  const Edit& e = GetParam();
  nlohmann::json config = fixture_config(e.folder);
  EXPECT_EQ(refusal(config), "") << "the fixture itself must load";
  config[nlohmann::json::json_pointer(e.pointer)] = nlohmann::json::parse(e.value);
  const std::string message = refusal(config);
  EXPECT_NE(message.find(e.message), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.rfind("config.json: ", 0), 0u) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, HfConfigRefusals,
    ::testing::Values(
        Edit{"dinov2", "/model_type", "\"dinov2_with_registers\"", "\"model_type\" \"dinov2_with_registers\" is not supported"},
        Edit{"dinov2", "/architectures", "[\"Dinov2ForImageClassification\"]",
             "\"architectures\" \"Dinov2ForImageClassification\" is not supported"},
        Edit{"dinov2", "/hidden_act", "\"relu\"", "unsupported hidden_act \"relu\""},
        Edit{"dinov2", "/mlp_ratio", "0", "\"mlp_ratio\": must be in (0, 64)"},
        Edit{"vit_pooler", "/pooler_act", "\"relu\"", "\"pooler_act\" \"relu\" is not supported"},
        Edit{"vit_classifier", "/architectures", "[\"ViTForMaskedImageModeling\"]",
             "\"architectures\" \"ViTForMaskedImageModeling\" is not supported"},
        Edit{"vit_classifier", "/architectures", "[\"ViTModel\", \"ViTForImageClassification\"]",
             "\"architectures\" must name exactly one class"},
        Edit{"deit_distilled", "/architectures", "[\"DeiTForMaskedImageModeling\"]",
             "\"architectures\" \"DeiTForMaskedImageModeling\" is not supported"},
        Edit{"clip", "/architectures", "[\"CLIPForImageClassification\"]",
             "\"architectures\" \"CLIPForImageClassification\" is not supported"},
        Edit{"clip", "/vision_config", "null", "missing \"vision_config\""},
        Edit{"clip", "/vision_config/hidden_act", "\"silu\"", "unsupported hidden_act \"silu\""},
        Edit{"clip", "/vision_config/patch_size", "7", "is not a multiple of the patch size 7"},
        Edit{"siglip", "/vision_config/vision_use_head", "false", "\"vision_use_head\" false is not supported"},
        Edit{"siglip", "/architectures", "[\"SiglipForImageClassification\"]",
             "\"architectures\" \"SiglipForImageClassification\" is not supported"},
        Edit{"siglip", "/vision_config/num_attention_heads", "5", "is not divisible by 5 attention heads"}),
    [](const ::testing::TestParamInfo<Edit>& info) {
      return std::string(info.param.folder) + "_" + std::to_string(info.index);
    });

TEST(HfConfigs, FieldsTheConfigLeavesOutTakeTheConfigClassDefaults) {
  // transformers' CLIPVisionConfig: patch 32, quick_gelu, eps 1e-5; CLIPConfig: projection 512.
  const VitConfig clip = config_from_json(
      nlohmann::json::parse(R"({"model_type": "clip", "architectures": ["CLIPModel"], "vision_config": {}})"), "c");
  EXPECT_EQ(clip.patch_size, 32);
  EXPECT_EQ(clip.hidden_size, 768);
  EXPECT_EQ(clip.activation, Activation::QuickGelu);
  EXPECT_FLOAT_EQ(clip.layer_norm_eps, 1e-5f);
  EXPECT_EQ(clip.projection_dim, 512);
  // Dinov2Config: patch 14, mlp_ratio 4; SwiGLU's width is 2/3 of it rounded up to 8.
  const VitConfig dinov2 = config_from_json(
      nlohmann::json::parse(R"({"model_type": "dinov2", "hidden_size": 384, "use_swiglu_ffn": true})"), "c");
  EXPECT_EQ(dinov2.patch_size, 14);
  EXPECT_EQ(dinov2.intermediate_size, 1024);  // int(int(384 * 4) * 2 / 3) = 1024
  EXPECT_TRUE(dinov2.swiglu);
  // SiglipVisionConfig: patch 16, tanh GELU, eps 1e-6; no class token, attention pooling.
  const VitConfig siglip =
      config_from_json(nlohmann::json::parse(R"({"model_type": "siglip_vision_model"})"), "c");
  EXPECT_EQ(siglip.patch_size, 16);
  EXPECT_EQ(siglip.activation, Activation::GeluTanh);
  EXPECT_FALSE(siglip.class_token);
  EXPECT_EQ(siglip.pooling, Pooling::Map);
  // A ViT config without a class named is a classifier when it has labels.
  const VitConfig vit = config_from_json(
      nlohmann::json::parse(R"({"model_type": "vit", "id2label": {"0": "a", "1": "b"}, "qkv_bias": false})"), "c");
  EXPECT_EQ(vit.num_classes, 2);
  EXPECT_FALSE(vit.qkv_bias);
  EXPECT_FLOAT_EQ(vit.layer_norm_eps, 1e-12f);
}

}  // namespace
}  // namespace vit

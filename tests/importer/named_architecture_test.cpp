#include "importer/named_architecture.h"

#include <tuple>

#include <gtest/gtest.h>

#include "formats/error.h"
#include "importer/checkpoint_source.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

// The error resolving `name` at its own size throws; "" when it resolves.
std::string refusal(const std::string& name) {
  try {
    resolve_named_architecture(name, std::nullopt, "--arch");
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

// Every fact, in one tuple so that a mismatch prints both sides.
auto all_facts(const StateDictFacts& f) {
  return std::make_tuple(f.patch_size, f.num_channels, f.hidden_size, f.num_layers, f.intermediate_size, f.num_classes,
                         f.position_rows, f.class_token, f.distillation_token, f.register_tokens, f.patch_bias,
                         f.qkv_bias, f.qk_norm, f.layer_scale, f.norm_pre, f.final_norm, f.fc_norm, f.attention_pool,
                         f.hybrid_backbone);
}

// The facts built from each fixture's timm config (architecture name, pretrained_cfg and
// model_args) are the facts its real timm state dict shows: every token, norm and bias rule,
// checked against the weights timm itself wrote.
TEST(NamedArchitecture, FactsMatchTheStateDictsTimmWrote) {
  VIT_REQUIRE_SHARED();
  for (const char* name : {"vit_classifier", "vit_features", "deit_classifier", "vit_avgpool_fcnorm", "vit_layerscale",
                           "vit_clip_style", "vit_siglip_map", "vit_reg4", "vit_gap_noclass", "vit_noqkvbias_qknorm",
                           "deit_distilled", "vit_rect_dynamic", "vit_tiny_real"}) {
    const CheckpointSource source = open_checkpoint(test::fixture(name), SourceOptions{});
    ASSERT_TRUE(source.timm_config.has_value()) << name;
    const TimmArchArgs args = resolve_timm_config(*source.timm_config);
    EXPECT_EQ(all_facts(facts_of_architecture(args, name)), all_facts(read_state_dict_facts(source.tensors, name)))
        << name;
  }
}

TEST(NamedArchitecture, ResolvesRegistryNamesToTheirNativeShapes) {
  const VitConfig b384 = resolve_named_architecture("vit_base_patch16_384", std::nullopt, "--arch").config;
  EXPECT_EQ(b384.image_height, 384);
  EXPECT_EQ(b384.prefix_tokens() + b384.grid_height() * b384.grid_width(), 577);
  EXPECT_EQ(b384.position_embeddings(), 577);

  const VitConfig dino = resolve_named_architecture("vit_small_patch14_reg4_dinov2", std::nullopt, "--arch").config;
  EXPECT_EQ(dino.image_height, 518);
  EXPECT_EQ(dino.patch_size, 14);
  EXPECT_TRUE(dino.layer_scale);
  EXPECT_EQ(dino.register_tokens, 4);
  EXPECT_FALSE(dino.pos_embed_covers_prefix);
  EXPECT_EQ(dino.position_embeddings(), 37 * 37);
  EXPECT_EQ(dino.num_classes, 0);

  const VitConfig clip = resolve_named_architecture("vit_base_patch16_clip_224", std::nullopt, "--arch").config;
  EXPECT_TRUE(clip.norm_pre);
  EXPECT_FALSE(clip.patch_bias);
  EXPECT_FLOAT_EQ(clip.layer_norm_eps, 1e-5f);

  const VitConfig siglip = resolve_named_architecture("vit_base_patch16_siglip_224", std::nullopt, "--arch").config;
  EXPECT_EQ(siglip.pooling, Pooling::Map);
  EXPECT_FALSE(siglip.class_token);
  EXPECT_EQ(siglip.num_classes, 0);
  EXPECT_EQ(resolve_named_architecture("vit_base_patch32_siglip_256", std::nullopt, "--arch").config.activation,
            Activation::GeluTanh);

  const VitConfig deit = resolve_named_architecture("deit_base_distilled_patch16_224", std::nullopt, "--arch").config;
  EXPECT_TRUE(deit.distillation_token);
  EXPECT_TRUE(deit.distilled_head);
  EXPECT_EQ(deit.position_embeddings(), 198);
}

TEST(NamedArchitecture, RefusesWhatTheImporterRefuses) {
  EXPECT_EQ(refusal("vit_base_r50_s16_384"),
            "--arch: vit_base_r50_s16_384 is not supported because it is a hybrid ResNet-ViT (CNN patch embedding)");
  EXPECT_EQ(refusal("vit_giant_patch14_dinov2"),
            "--arch: vit_giant_patch14_dinov2 is not supported: MLP type SwiGLUPacked");
  const std::string unknown = refusal("resnet50");
  EXPECT_EQ(unknown.rfind("--arch: unknown timm architecture \"resnet50\" (the names are in ", 0), 0u) << unknown;
}

TEST(NamedArchitecture, BuiltForAnotherImageSize) {
  // timm.create_model('vit_so400m_patch14_siglip_384', img_size=(378, 392)): 27 x 28 patches.
  const VitConfig c =
      resolve_named_architecture("vit_so400m_patch14_siglip_384", std::array<int, 2>{378, 392}, "--arch").config;
  EXPECT_EQ(c.image_height, 378);
  EXPECT_EQ(c.image_width, 392);
  EXPECT_EQ(c.position_embeddings(), 27 * 28);
  const VitConfig deit =
      resolve_named_architecture("deit_base_distilled_patch16_224", std::array<int, 2>{384, 384}, "--arch").config;
  EXPECT_EQ(deit.position_embeddings(), 24 * 24 + 2);
  // Native 384 is no multiple of 14: the engine refuses it (timm drops the last 6 pixels).
  EXPECT_EQ(refusal("vit_so400m_patch14_siglip_384"),
            "--arch: image size 384x384 is not a multiple of the patch size 14");
}

TEST(NamedArchitecture, RefusesNamesOnlyThePatternRecognises) {
  // Without weights to check it against, the pattern's guess would turn a typo into a model.
  for (const char* name : {"vit_small_patch32", "vit_tiny_patch16_256", "vit_base_patch16_rope_224"}) {
    const std::string error = refusal(name);
    EXPECT_EQ(error.rfind("--arch: \"" + std::string(name) + "\" is not a timm architecture in ", 0), 0u) << error;
    EXPECT_NE(error.find("(it only follows the vit_<size>_patch<P>_<res> naming pattern)"), std::string::npos) << error;
  }
  // Deprecated timm names are listed, with the pretrained_cfg of the tag they stand for.
  EXPECT_EQ(resolve_named_architecture("vit_base_patch16_224_in21k", std::nullopt, "--arch").config.hidden_size, 768);
}

}  // namespace
}  // namespace vit

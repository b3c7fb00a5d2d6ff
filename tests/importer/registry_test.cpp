#include "importer/architecture_registry.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "formats/error.h"
#include "formats/json_file.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

using nlohmann::json;
using Pair = std::array<int, 2>;

TimmArchArgs must_lookup(const std::string& name) {
  std::optional<TimmArchArgs> a = lookup_timm_architecture(name);
  if (!a) throw Error("not in the registry: " + name);
  return *a;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Registry, VitTinyIsThePlainVit) {
  TimmArchArgs a = must_lookup("vit_tiny_patch16_224");
  EXPECT_EQ(a.source, "registry");
  EXPECT_FALSE(a.inferred);
  EXPECT_EQ(a.module, "vision_transformer");
  EXPECT_EQ(a.embed_dim, 192);
  EXPECT_EQ(a.depth, 12);
  EXPECT_EQ(a.num_heads, 3);
  EXPECT_EQ(a.mlp_hidden(), 768);
  EXPECT_EQ(a.patch_size, (Pair{16, 16}));
  EXPECT_EQ(a.img_size, (Pair{224, 224}));
  EXPECT_FALSE(a.img_size_explicit);
  EXPECT_EQ(a.in_chans, 3);
  EXPECT_EQ(a.num_classes, 1000);
  EXPECT_EQ(a.global_pool, "token");
  EXPECT_EQ(a.class_token, true);
  EXPECT_EQ(a.reg_tokens, 0);
  EXPECT_EQ(a.num_prefix_tokens(), 1);
  EXPECT_EQ(a.no_embed_class, false);
  EXPECT_EQ(a.qkv_bias, true);
  EXPECT_EQ(a.qk_norm, false);
  EXPECT_EQ(a.pre_norm, false);
  EXPECT_EQ(a.patch_bias(), true);
  EXPECT_EQ(a.layer_scale(), false);
  EXPECT_EQ(a.uses_fc_norm(), false);
  EXPECT_EQ(a.has_norm(), true);
  EXPECT_EQ(a.has_fc_norm(), false);
  ASSERT_TRUE(a.fc_norm.has_value());
  EXPECT_FALSE(a.fc_norm->has_value());  // None: decided by global_pool
  EXPECT_EQ(a.act_layer, "gelu");
  EXPECT_EQ(a.norm_layer, "layernorm");
  EXPECT_EQ(a.norm_eps, 1e-6);
  EXPECT_EQ(a.dynamic_img_size, false);
  EXPECT_EQ(a.distilled, false);
  EXPECT_EQ(a.hybrid, false);
  EXPECT_EQ(a.block_fn, "Block");
  EXPECT_EQ(a.mlp_layer, "Mlp");
  EXPECT_EQ(a.hf_image_processor, "ViTImageProcessor");
  EXPECT_EQ(a.pretrained_cfg.tag, "augreg_in21k_ft_in1k");
  EXPECT_EQ(a.pretrained_cfg.input_size, (std::array<int, 3>{3, 224, 224}));
  EXPECT_EQ(a.pretrained_cfg.interpolation, "bicubic");
  EXPECT_EQ(a.pretrained_cfg.crop_pct, 0.9);
  EXPECT_EQ(a.pretrained_cfg.crop_mode, "center");
  EXPECT_EQ(a.pretrained_cfg.mean, (std::vector<double>{0.5, 0.5, 0.5}));
  EXPECT_EQ(a.pretrained_cfg.std, (std::vector<double>{0.5, 0.5, 0.5}));
}

TEST(Registry, ResolutionComesFromThePretrainedCfg) {
  EXPECT_EQ(must_lookup("vit_base_patch16_384").img_size, (Pair{384, 384}));
  EXPECT_EQ(must_lookup("vit_large_patch14_dinov2").img_size, (Pair{518, 518}));
  TimmArchArgs beit = must_lookup("beit3_giant_patch14_336");  // img_size in its model_args
  EXPECT_EQ(beit.img_size, (Pair{336, 336}));
  EXPECT_TRUE(beit.img_size_explicit);
}

TEST(Registry, DeitUsesImageNetStatsAndTheDeitProcessor) {
  TimmArchArgs a = must_lookup("deit_tiny_patch16_224");
  EXPECT_EQ(a.module, "deit");
  EXPECT_EQ(a.embed_dim, 192);
  EXPECT_EQ(a.num_heads, 3);
  EXPECT_EQ(a.distilled, false);
  EXPECT_EQ(a.hf_image_processor, "DeiTImageProcessor");
  EXPECT_EQ(a.pretrained_cfg.tag, "fb_in1k");
  EXPECT_EQ(a.pretrained_cfg.mean, (std::vector<double>{0.485, 0.456, 0.406}));
  EXPECT_EQ(a.pretrained_cfg.std, (std::vector<double>{0.229, 0.224, 0.225}));
}

TEST(Registry, DeitDistilledHasTwoPrefixTokens) {
  TimmArchArgs a = must_lookup("deit_tiny_distilled_patch16_224");
  EXPECT_EQ(a.distilled, true);
  EXPECT_EQ(a.num_prefix_tokens(), 2);
  EXPECT_EQ(a.hf_image_processor, "DeiTImageProcessor");
}

TEST(Registry, Deit3HasLayerScaleAndNoEmbedClass) {
  TimmArchArgs a = must_lookup("deit3_small_patch16_224");
  EXPECT_EQ(a.embed_dim, 384);
  EXPECT_EQ(a.num_heads, 6);
  ASSERT_TRUE(a.init_values && a.init_values->has_value());
  EXPECT_DOUBLE_EQ(**a.init_values, 1e-6);
  EXPECT_EQ(a.layer_scale(), true);
  EXPECT_EQ(a.no_embed_class, true);
  EXPECT_EQ(a.class_token, true);
  EXPECT_EQ(a.hf_image_processor, "DeiTImageProcessor");
}

TEST(Registry, ClipQuickGeluHasPreNormAndNoPatchBias) {
  TimmArchArgs a = must_lookup("vit_base_patch16_clip_quickgelu_224");
  EXPECT_EQ(a.pre_norm, true);
  EXPECT_EQ(a.patch_bias(), false);
  EXPECT_EQ(a.norm_eps, 1e-5);
  EXPECT_EQ(a.act_layer, "quick_gelu");
  EXPECT_EQ(a.embed_dim, 768);
  EXPECT_EQ(a.global_pool, "token");
  EXPECT_EQ(a.pretrained_cfg.tag, "metaclip_2pt5b");
  EXPECT_EQ(a.pretrained_cfg.crop_pct, 1.0);
  EXPECT_EQ(a.pretrained_cfg.mean, (std::vector<double>{0.48145466, 0.4578275, 0.40821073}));
  EXPECT_EQ(a.num_classes, 512);
  EXPECT_EQ(must_lookup("vit_base_patch16_clip_224").act_layer, "gelu");
}

TEST(Registry, SiglipHasNoClassTokenAndAMapHead) {
  TimmArchArgs a = must_lookup("vit_base_patch32_siglip_256");
  EXPECT_EQ(a.class_token, false);
  EXPECT_EQ(a.num_prefix_tokens(), 0);
  EXPECT_EQ(a.global_pool, "map");
  EXPECT_EQ(a.act_layer, "gelu_tanh");
  EXPECT_EQ(a.patch_size, (Pair{32, 32}));
  EXPECT_EQ(a.img_size, (Pair{256, 256}));
  EXPECT_EQ(a.uses_fc_norm(), false);
  EXPECT_EQ(a.num_classes, 0);  // v2_webli is an image tower without a classifier
  // timm declares its v1 SigLIP towers with the exact GELU.
  EXPECT_EQ(must_lookup("vit_base_patch16_siglip_224").act_layer, "gelu");
}

TEST(Registry, Reg4GapPoolsWithFcNorm) {
  TimmArchArgs a = must_lookup("vit_base_patch16_reg4_gap_256");
  EXPECT_EQ(a.reg_tokens, 4);
  EXPECT_EQ(a.class_token, false);
  EXPECT_EQ(a.num_prefix_tokens(), 4);
  EXPECT_EQ(a.no_embed_class, true);
  EXPECT_EQ(a.global_pool, "avg");
  EXPECT_EQ(a.uses_fc_norm(), true);
  EXPECT_EQ(a.has_fc_norm(), true);
  EXPECT_EQ(a.has_norm(), false);
  EXPECT_EQ(a.pretrained_cfg.tag, "untrained");
}

TEST(Registry, HybridIsMarked) {
  TimmArchArgs a = must_lookup("vit_tiny_r_s16_p8_224");
  EXPECT_EQ(a.hybrid, true);
  EXPECT_EQ(a.embed_layer, "HybridEmbed");
  EXPECT_EQ(a.module, "vision_transformer_hybrid");
  EXPECT_EQ(a.patch_size, (Pair{8, 8}));
  EXPECT_FALSE(a.hybrid_backbone.value_or("").empty());
  EXPECT_EQ(must_lookup("vit_base_r50_s16_224").patch_size, (Pair{1, 1}));
}

TEST(Registry, NonStandardLayersAreNamed) {
  TimmArchArgs giant = must_lookup("vit_giant_patch14_dinov2");
  EXPECT_EQ(giant.mlp_layer, "SwiGLUPacked");
  EXPECT_EQ(giant.act_layer, "silu");
  TimmArchArgs aim = must_lookup("aimv2_large_patch14_224");
  EXPECT_EQ(aim.norm_layer, "rmsnorm");
  EXPECT_EQ(aim.norm_eps, 1e-5);
  EXPECT_EQ(aim.proj_bias, false);
  ASSERT_TRUE(aim.embed_norm_layer && aim.embed_norm_layer->has_value());
  EXPECT_EQ(must_lookup("vit_giant_patch14_224").mlp_hidden(), 6144);  // int(1408 * 48 / 11)
}

TEST(Registry, DeprecatedNamesResolveToTheirTag) {
  TimmArchArgs a = must_lookup("vit_base_patch16_224_in21k");
  EXPECT_EQ(a.source, "alias");
  EXPECT_EQ(a.alias_of, "vit_base_patch16_224.augreg_in21k");
  EXPECT_EQ(a.embed_dim, 768);
  EXPECT_EQ(a.num_classes, 21843);
  EXPECT_EQ(a.pretrained_cfg.tag, "augreg_in21k");
}

TEST(Registry, PatternFallbackIsMarkedInferred) {
  TimmArchArgs a = must_lookup("vit_large_patch8_foo_320");
  EXPECT_EQ(a.source, "pattern");
  EXPECT_TRUE(a.inferred);
  EXPECT_EQ(a.embed_dim, 1024);
  EXPECT_EQ(a.depth, 24);
  EXPECT_EQ(a.num_heads, 16);
  EXPECT_EQ(a.patch_size, (Pair{8, 8}));
  EXPECT_EQ(a.img_size, (Pair{320, 320}));
  EXPECT_EQ(a.inferred_unknown_parts, (std::vector<std::string>{"foo"}));
  EXPECT_EQ(a.hf_image_processor, "ViTImageProcessor");
  EXPECT_TRUE(must_lookup("vit_small_patch32").inferred_unknown_parts.empty());
  EXPECT_FALSE(lookup_timm_architecture("resnet50"));
  EXPECT_FALSE(lookup_timm_architecture("vit_enormous_patch16_224"));
  EXPECT_FALSE(lookup_timm_architecture("vit_base_patch16_224.augreg_in21k"));
  EXPECT_FALSE(lookup_timm_architecture(""));
}

TEST(ApplyModelArgs, OverlaysTimmKwargs) {
  TimmArchArgs a = apply_model_args(must_lookup("vit_tiny_patch16_224"),
                                    json{{"img_size", {48, 40}}, {"patch_size", 8}, {"embed_dim", 64},
                                         {"depth", 2}, {"num_heads", 4}, {"global_pool", "avg"},
                                         {"fc_norm", nullptr}, {"init_values", 0.1}, {"num_classes", 7},
                                         {"dynamic_img_size", true}, {"act_layer", "gelu_tanh"},
                                         {"drop_path_rate", 0.1}, {"pretrained_cfg_overlay", {{"x", 1}}}});
  EXPECT_EQ(a.img_size, (Pair{48, 40}));
  EXPECT_TRUE(a.img_size_explicit);
  EXPECT_EQ(a.patch_size, (Pair{8, 8}));
  EXPECT_EQ(a.mlp_hidden(), 256);
  EXPECT_EQ(a.uses_fc_norm(), true);  // fc_norm None with avg pooling
  EXPECT_EQ(a.layer_scale(), true);
  EXPECT_EQ(a.num_classes, 7);
  EXPECT_EQ(a.dynamic_img_size, true);
  EXPECT_EQ(a.act_layer, "gelu_tanh");
  EXPECT_EQ(apply_model_args(a, json{{"init_values", nullptr}}).layer_scale(), false);
  EXPECT_EQ(apply_model_args(a, json(nullptr)).embed_dim, 64);
}

TEST(ApplyModelArgs, NamedNormLayerTakesTimmDefaultEps) {
  TimmArchArgs clip = must_lookup("vit_base_patch16_clip_224");
  EXPECT_EQ(clip.norm_eps, 1e-5);
  TimmArchArgs a = apply_model_args(clip, json{{"norm_layer", "layernorm"}});
  EXPECT_EQ(a.norm_eps, 1e-6);
  EXPECT_EQ(apply_model_args(clip, json{{"act_layer", nullptr}}).act_layer, "gelu");
}

TEST(ApplyModelArgs, RefusesWhatItCannotHonour) {
  TimmArchArgs base = must_lookup("vit_tiny_patch16_224");
  std::string unknown = error_of([&] { apply_model_args(base, json{{"mystery_switch", true}}); });
  EXPECT_NE(unknown.find("mystery_switch"), std::string::npos) << unknown;
  EXPECT_NE(error_of([&] { apply_model_args(base, json{{"norm_eps", 1e-5}}); }).find("norm_eps"),
            std::string::npos);
  EXPECT_NE(error_of([&] { apply_model_args(base, json{{"depth", "12"}}); }).find("model_args.depth"),
            std::string::npos);
  EXPECT_NE(error_of([&] { apply_model_args(base, json{{"img_size", {1, 2, 3}}}); }).find("img_size"),
            std::string::npos);
  // Integers that a plain cast would turn into 16 (a plausible value) are refused.
  EXPECT_EQ(error_of([&] { apply_model_args(base, json{{"embed_dim", 4294967312ULL}}); }),
            "model_args.embed_dim: must be a 32-bit integer, got 4294967312");
  EXPECT_NE(error_of([&] { apply_model_args(base, json{{"img_size", 4294967312ULL}}); }), "");
  EXPECT_NE(error_of([&] { apply_model_args(base, json{{"depth", 12.5}}); }), "");
  EXPECT_NE(error_of([&] { apply_model_args(base, json{{"global_pool", "mean"}}); }).find("global_pool"),
            std::string::npos);
  EXPECT_NE(error_of([&] { apply_model_args(base, json{{"features_only", true}}); }).find("features_only"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { apply_model_args(base, json{{"features_only", false}}); }), "");
  EXPECT_NE(error_of([&] { apply_model_args(base, json::array()); }), "");
}

TEST(ApplyPretrainedCfg, FollowsTimmDefaultKwargs) {
  TimmArchArgs base = must_lookup("vit_base_patch16_384");
  TimmArchArgs fixed = apply_pretrained_cfg(base, json{{"input_size", {1, 64, 48}}, {"fixed_input_size", true},
                                                       {"num_classes", 10}});
  EXPECT_EQ(fixed.img_size, (Pair{64, 48}));
  EXPECT_EQ(fixed.in_chans, 1);
  EXPECT_EQ(fixed.num_classes, 10);
  EXPECT_EQ(fixed.pretrained_cfg.crop_pct, 0.875);  // PretrainedCfg default, not the registry's
  EXPECT_FALSE(fixed.pretrained_cfg.tag);
  // Without fixed_input_size timm does not pass img_size: VisionTransformer's 224 applies.
  TimmArchArgs loose = apply_pretrained_cfg(base, json{{"input_size", {3, 384, 384}}, {"num_classes", -1}});
  EXPECT_EQ(loose.img_size, (Pair{224, 224}));
  EXPECT_EQ(loose.num_classes, 1000);
  TimmArchArgs beit = apply_pretrained_cfg(must_lookup("beit3_giant_patch14_336"),
                                           json{{"input_size", {3, 224, 224}}, {"fixed_input_size", true}});
  EXPECT_EQ(beit.img_size, (Pair{336, 336}));
  EXPECT_NE(error_of([&] { apply_pretrained_cfg(base, json{{"input_size", {224, 224}}}); }).find("input_size"),
            std::string::npos);
}

TEST(ResolveTimmConfig, RejectsUnknownArchitectures) {
  EXPECT_NE(error_of([] { resolve_timm_config(json{{"architecture", "resnet50"}, {"pretrained_cfg", json::object()}}); })
                .find("resnet50"),
            std::string::npos);
  EXPECT_NE(error_of([] { resolve_timm_config(json{{"num_classes", 3}}); }), "");
}

TEST(ResolveTimmConfig, LegacyFlatLayout) {
  TimmArchArgs a = resolve_timm_config(json{{"architecture", "vit_small_patch16_224"}, {"num_features", 384},
                                            {"input_size", {3, 96, 96}}, {"fixed_input_size", true},
                                            {"num_classes", 5}, {"crop_pct", 1.0}});
  EXPECT_EQ(a.img_size, (Pair{96, 96}));
  EXPECT_EQ(a.num_classes, 5);
  EXPECT_EQ(a.embed_dim, 384);
  EXPECT_EQ(a.pretrained_cfg.crop_pct, 1.0);
}

TEST(ModelsDir, EnvironmentOverride) {
  namespace fs = std::filesystem;
  const std::string dir = test::scratch_dir("models");
  json doc = read_json_file(models_dir() + "/timm_architectures.json");
  json only = json::object();
  only["vit_custom_thing"] = doc["architectures"]["vit_tiny_patch16_224"];
  doc["architectures"] = only;
  std::ofstream(dir + "/timm_architectures.json") << doc.dump();
  const std::string saved = std::getenv("VITCPP_MODELS_DIR") ? std::getenv("VITCPP_MODELS_DIR") : "";
  setenv("VITCPP_MODELS_DIR", dir.c_str(), 1);
  EXPECT_EQ(models_dir(), dir);
  EXPECT_EQ(lookup_timm_architecture("vit_custom_thing").value().embed_dim, 192);
  EXPECT_FALSE(lookup_timm_architecture("deit_tiny_patch16_224"));
  if (saved.empty())
    unsetenv("VITCPP_MODELS_DIR");
  else
    setenv("VITCPP_MODELS_DIR", saved.c_str(), 1);
  EXPECT_TRUE(lookup_timm_architecture("deit_tiny_patch16_224"));
}

// Compares resolved arguments with a fixture's meta.json "architecture" facts (what timm built).
void expect_matches_meta(const TimmArchArgs& a, const json& m, const std::string& fixture) {
  SCOPED_TRACE(fixture);
  EXPECT_EQ(a.embed_dim, m["embed_dim"].get<int>());
  EXPECT_EQ(a.depth, m["depth"].get<int>());
  EXPECT_EQ(a.num_heads, m["num_heads"].get<int>());
  EXPECT_EQ(a.mlp_hidden(), m["mlp_hidden"].get<int>());
  EXPECT_EQ(a.patch_size, m["patch_size"].get<Pair>());
  EXPECT_EQ(a.img_size, m["img_size"].get<Pair>());
  EXPECT_EQ(a.class_token, m["class_token"].get<bool>());
  EXPECT_EQ(a.distilled, m["dist_token"].get<bool>());
  EXPECT_EQ(a.reg_tokens, m["reg_tokens"].get<int>());
  EXPECT_EQ(a.num_prefix_tokens(), m["num_prefix_tokens"].get<int>());
  EXPECT_EQ(a.no_embed_class, m["no_embed_class"].get<bool>());
  EXPECT_EQ(a.dynamic_img_size, m["dynamic_img_size"].get<bool>());
  EXPECT_EQ(a.pre_norm, !m["pre_norm"].is_null());
  EXPECT_EQ(a.has_norm(), !m["final_norm"].is_null());
  EXPECT_EQ(a.has_fc_norm(), !m["fc_norm"].is_null());
  EXPECT_EQ(a.global_pool, m["global_pool"].get<std::string>());
  EXPECT_EQ(a.norm_eps, m["layernorm_eps"].get<double>());
  EXPECT_EQ(a.layer_scale(), m["layer_scale"].get<bool>());
  EXPECT_EQ(a.qkv_bias, m["qkv_bias"].get<bool>());
  EXPECT_EQ(a.qk_norm, !m["qk_norm"].is_null());
  EXPECT_EQ(a.proj_bias, m["proj_bias"].get<bool>());
  const std::string act = m["act_layer"].get<std::string>();
  EXPECT_EQ(a.act_layer, act.substr(0, act.find(' ')));
  EXPECT_EQ(a.patch_bias(), m["patch_embed_bias"].get<bool>());
  EXPECT_EQ(a.hybrid, !m["patch_embed_is_timm_PatchEmbed"].get<bool>());
  EXPECT_EQ(a.num_classes, m["num_classes"].get<int>());
  const json& cfg = m["pretrained_cfg"];
  EXPECT_EQ(a.pretrained_cfg.input_size, (cfg["input_size"].get<std::array<int, 3>>()));
  EXPECT_EQ(a.pretrained_cfg.mean, cfg["mean"].get<std::vector<double>>());
  EXPECT_EQ(a.pretrained_cfg.std, cfg["std"].get<std::vector<double>>());
  EXPECT_EQ(a.pretrained_cfg.interpolation, cfg["interpolation"].get<std::string>());
  EXPECT_EQ(a.pretrained_cfg.crop_pct, cfg["crop_pct"].get<double>());
  EXPECT_EQ(a.pretrained_cfg.crop_mode, cfg["crop_mode"].get<std::string>());
  EXPECT_EQ(a.pretrained_cfg.num_classes, cfg["num_classes"].get<int>());
}

const char* const kFixturesWithConfig[] = {
    "vit_classifier", "vit_features",  "deit_classifier", "vit_avgpool_fcnorm", "vit_layerscale",
    "vit_clip_style", "vit_siglip_map", "vit_reg4",        "vit_gap_noclass",    "vit_noqkvbias_qknorm",
    "deit_distilled", "vit_hybrid",     "vit_rect_dynamic", "vit_fp16",          "vit_bf16",
    "legacy_format",  "noncontiguous",  "vit_tiny_real"};

TEST(Fixtures, ConfigJsonResolvesToWhatTimmBuilt) {
  VIT_REQUIRE_SHARED();
  for (const char* name : kFixturesWithConfig) {
    const std::string dir = test::fixture(name);
    TimmArchArgs a = resolve_timm_config(read_json_file(dir + "/config.json"));
    expect_matches_meta(a, read_json_file(dir + "/meta.json")["architecture"], name);
    EXPECT_FALSE(a.inferred) << name;
  }
}

// The create_model call in meta.json: registry entry + kwargs (pretrained_cfg_overlay only
// touches input_size / num_classes, as the fixture README says).
TEST(Fixtures, CreateModelKwargsGiveTheSameNetwork) {
  VIT_REQUIRE_SHARED();
  for (const char* name : {"vit_classifier", "vit_layerscale", "vit_clip_style", "vit_siglip_map", "vit_reg4",
                           "vit_gap_noclass", "deit_distilled", "vit_hybrid", "train_checkpoint", "vit_tiny_real"}) {
    const json meta = read_json_file(test::fixture(name) + "/meta.json");
    const json& call = meta["create_model"];
    TimmArchArgs a = must_lookup(call["name"].get<std::string>());
    const TimmPretrainedCfg& d = a.pretrained_cfg;
    json cfg = {{"input_size", *d.input_size}, {"fixed_input_size", *d.fixed_input_size},
                {"interpolation", *d.interpolation}, {"crop_pct", *d.crop_pct}, {"crop_mode", *d.crop_mode},
                {"mean", *d.mean}, {"std", *d.std}, {"num_classes", *d.num_classes}};
    if (!call["pretrained_cfg_overlay"].is_null()) cfg.update(call["pretrained_cfg_overlay"]);
    a = apply_pretrained_cfg(a, cfg);
    a = apply_model_args(a, call["kwargs"]);
    expect_matches_meta(a, meta["architecture"], name);
  }
}

}  // namespace
}  // namespace vit

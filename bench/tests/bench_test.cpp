#include <algorithm>
#include <array>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bench/arch_presets.h"
#include "bench/forward_flops.h"
#include "bench/latency_stats.h"
#include "bench/matmul_peak.h"
#include "bench/random_weights.h"
#include "formats/error.h"
#include "formats/npy.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

TEST(ForwardFlops, VitBaseMatchesTheHandCount) {
  // ViT-B/16 at 224: P = 196, T = 197. Per layer 2*197*768*(2304 + 768 + 2*3072) + 4*197^2*768.
  const double layer = 2.0 * 197 * 768 * (2304 + 768 + 2 * 3072) + 4.0 * 197 * 197 * 768;
  const double expected = 2.0 * 196 * 768 * 768 + 12 * layer + 2.0 * 768 * 1000;
  EXPECT_DOUBLE_EQ(forward_flops(arch_config("vit_base_patch16_224"), 1, 224, 224), expected);
  EXPECT_NEAR(expected / 2e9, 17.56, 0.01);  // timm's published 17.6 GMACs
  EXPECT_DOUBLE_EQ(forward_flops(arch_config("vit_base_patch16_224"), 8, 224, 224), 8 * expected);
}

TEST(ForwardFlops, SwigluProjectionAndPoolerAreCounted) {
  VitConfig c = arch_config("vit_base_patch16_224");
  c.num_classes = 0;
  const double plain = forward_flops(c, 1, 224, 224);
  VitConfig swiglu = c;
  swiglu.swiglu = true;  // fc1 writes gate and value: one more T x D x I product per layer
  EXPECT_DOUBLE_EQ(forward_flops(swiglu, 1, 224, 224) - plain, 12 * 2.0 * 197 * 768 * 3072);
  VitConfig clip = c;
  clip.projection_dim = 512;
  EXPECT_DOUBLE_EQ(forward_flops(clip, 1, 224, 224) - plain, 2.0 * 768 * 512);
  VitConfig pooled = c;
  pooled.pooler_output = PoolerOutput::DenseTanh;
  pooled.pooler_size = 768;
  EXPECT_DOUBLE_EQ(forward_flops(pooled, 1, 224, 224) - plain, 2.0 * 768 * 768);
}

// What vitbench ran for these four names before they came from the registry, so that old
// figures stay comparable: patch 16, 224x224, class token, token pooling, MLP 4x, exact GELU,
// eps 1e-6, 1000 classes.
VitConfig old_preset(int hidden, int layers, int heads) {
  VitConfig c;
  c.hidden_size = hidden;
  c.num_layers = layers;
  c.num_heads = heads;
  c.intermediate_size = 4 * hidden;
  c.num_classes = 1000;
  return c;
}

void expect_same_config(const VitConfig& a, const VitConfig& b, const std::string& name) {
  EXPECT_EQ(a.num_channels, b.num_channels) << name;
  EXPECT_EQ(a.image_height, b.image_height) << name;
  EXPECT_EQ(a.image_width, b.image_width) << name;
  EXPECT_EQ(a.patch_size, b.patch_size) << name;
  EXPECT_EQ(a.hidden_size, b.hidden_size) << name;
  EXPECT_EQ(a.num_layers, b.num_layers) << name;
  EXPECT_EQ(a.num_heads, b.num_heads) << name;
  EXPECT_EQ(a.intermediate_size, b.intermediate_size) << name;
  EXPECT_EQ(a.num_classes, b.num_classes) << name;
  EXPECT_EQ(a.layer_norm_eps, b.layer_norm_eps) << name;
  EXPECT_EQ(a.activation, b.activation) << name;
  EXPECT_EQ(a.class_token, b.class_token) << name;
  EXPECT_EQ(a.distillation_token, b.distillation_token) << name;
  EXPECT_EQ(a.distilled_head, b.distilled_head) << name;
  EXPECT_EQ(a.register_tokens, b.register_tokens) << name;
  EXPECT_EQ(a.pos_embed_covers_prefix, b.pos_embed_covers_prefix) << name;
  EXPECT_EQ(a.patch_bias, b.patch_bias) << name;
  EXPECT_EQ(a.qkv_bias, b.qkv_bias) << name;
  EXPECT_EQ(a.qk_norm, b.qk_norm) << name;
  EXPECT_EQ(a.layer_scale, b.layer_scale) << name;
  EXPECT_EQ(a.swiglu, b.swiglu) << name;
  EXPECT_EQ(a.norm_pre, b.norm_pre) << name;
  EXPECT_EQ(a.final_norm, b.final_norm) << name;
  EXPECT_EQ(a.fc_norm, b.fc_norm) << name;
  EXPECT_EQ(a.pooling, b.pooling) << name;
  EXPECT_EQ(a.pooler_output, b.pooler_output) << name;
  EXPECT_EQ(a.pooler_size, b.pooler_size) << name;
  EXPECT_EQ(a.projection_dim, b.projection_dim) << name;
  EXPECT_EQ(a.position_resample, b.position_resample) << name;
  EXPECT_EQ(a.naming, b.naming) << name;
  EXPECT_EQ(a.int8_weights, b.int8_weights) << name;
  EXPECT_EQ(a.id2label, b.id2label) << name;
}

TEST(ArchConfig, TheFourOldPresetNamesGiveTheOldConfigs) {
  expect_same_config(arch_config("vit_tiny_patch16_224"), old_preset(192, 12, 3), "tiny");
  expect_same_config(arch_config("vit_small_patch16_224"), old_preset(384, 12, 6), "small");
  expect_same_config(arch_config("vit_base_patch16_224"), old_preset(768, 12, 12), "base");
  expect_same_config(arch_config("vit_large_patch16_224"), old_preset(1024, 24, 16), "large");
}

TEST(ArchConfig, RegistryNamesAtTheirNativeSizes) {
  const VitConfig b384 = arch_config("vit_base_patch16_384");
  EXPECT_EQ(b384.image_height, 384);
  EXPECT_EQ(b384.patch_size, 16);
  EXPECT_EQ(b384.prefix_tokens() + b384.grid_height() * b384.grid_width(), 577);
  const VitConfig dino = arch_config("vit_small_patch14_dinov2");
  EXPECT_EQ(dino.image_height, 518);
  EXPECT_EQ(dino.image_width, 518);
  EXPECT_EQ(dino.patch_size, 14);
  EXPECT_TRUE(dino.layer_scale);
  EXPECT_EQ(dino.num_classes, 0);
  const VitConfig large = arch_config("vit_large_patch16_224");
  EXPECT_EQ(large.hidden_size, 1024);
  EXPECT_EQ(large.num_layers, 24);
  EXPECT_EQ(large.num_heads, 16);
  EXPECT_EQ(arch_config("vit_huge_patch14_224").hidden_size, 1280);
}

TEST(ArchConfig, ImageSizeRebuildsThePositionGrid) {
  const VitConfig c = arch_config("vit_base_patch16_224", std::array<int, 2>{384, 256});
  EXPECT_EQ(c.image_height, 384);
  EXPECT_EQ(c.image_width, 256);
  EXPECT_EQ(c.position_embeddings(), 1 + 24 * 16);
  const std::string json = test::tests_dir() + "/../bench/configs/dinov2_base_196.json";
  EXPECT_EQ(arch_config(json, std::array<int, 2>{280, 280}).grid_height(), 20);
  EXPECT_THROW(arch_config(json, std::array<int, 2>{100, 100}), Error);
  EXPECT_THROW(arch_config("vit_base_patch16_224", std::array<int, 2>{100, 100}), Error);
}

TEST(ArchConfig, ParsesImageSizes) {
  EXPECT_EQ(parse_image_size("384"), (std::array<int, 2>{384, 384}));
  EXPECT_EQ(parse_image_size("224x320"), (std::array<int, 2>{224, 320}));
  for (const char* bad : {"", "0", "x", "224x", "x224", "-16", "16x16x16", "4097", "99999999999", "2e2", " 224"})
    EXPECT_THROW(parse_image_size(bad), Error) << bad;
}

TEST(RandomWeights, FillEverySlotAndRepeatWithTheSeed) {
  const VitConfig c = arch_config("vit_tiny_patch16_224");
  VitWeights a = random_weights(c, 7);
  const VitWeights b = random_weights(c, 7);
  for (const WeightSlot& slot : weight_slots(c, &a)) {
    size_t count = 1;
    for (int64_t d : slot.shape) count *= static_cast<size_t>(d);
    EXPECT_EQ(slot.values->size(), count) << slot.name;
  }
  EXPECT_EQ(a.layers[3].fc1_weight, b.layers[3].fc1_weight);
  EXPECT_NEAR(a.final_norm_weight[0], 1.0f, 0.04f);
}

TEST(LatencyStats, MedianMinMax) {
  const LatencyStats odd = summarize({5, 1, 3});
  EXPECT_EQ(odd.median_ms, 3);
  EXPECT_EQ(odd.min_ms, 1);
  EXPECT_EQ(odd.max_ms, 5);
  EXPECT_EQ(summarize({4, 1, 2, 3}).median_ms, 2.5);
}

TEST(MatmulPeak, ParsesShapes) {
  const LinearShape s = parse_shape("197x768x3072");
  EXPECT_EQ(s.rows, 197);
  EXPECT_EQ(s.inputs, 768);
  EXPECT_EQ(s.outputs, 3072);
  EXPECT_THROW(parse_shape("197x768"), Error);
  EXPECT_THROW(parse_shape("0x1x1"), Error);
  EXPECT_THROW(parse_shape("1x2x3x"), Error);
}

TEST(Vitbench, HelpListsEveryFlagAndBadUsageExitsTwo) {
  std::string help, out;
  // CommandLine fails --help when the usage text and the accepted flags disagree.
  ASSERT_EQ(test::run_command(std::string(VITBENCH_PATH) + " --help", &help), 0) << help;
  EXPECT_EQ(help.rfind("usage: vitbench (--model DIR | --arch NAME)", 0), 0u) << help;
  EXPECT_EQ(test::run_command(std::string(VITBENCH_PATH) + " --no-such-flag", &out), 2) << out;
  EXPECT_EQ(out, "vitbench: unknown option --no-such-flag (see --help)\n");
  EXPECT_EQ(test::run_command(std::string(VITBENCH_PATH) + " stray", &out), 2) << out;
  EXPECT_EQ(out, "vitbench: unexpected argument \"stray\"\n");
}

std::string vitbench(const std::string& args, int* exit_code) {
  std::string out;
  *exit_code = test::run_command(std::string(VITBENCH_PATH) + " " + args + " 2>&1", &out);
  return out;
}

// A model folder of a shared fixture, written by vitimport; false (with its output) when it fails.
bool import_fixture(const std::string& fixture, const std::string& dir, std::string* out) {
  return test::run_command(test::tool_path("vitimport") + " --checkpoint " + test::fixture(fixture) + " --out " + dir +
                               " --no-cache",
                           out) == 0;
}

TEST(Vitbench, ImageSizeSetsTheTimedInput) {
  int rc = 0;
  const std::string quick = " --iters 1 --warmup 0 --no-peak --threads 1 --json";
  std::string out = vitbench("--arch vit_tiny_patch16_224 --image-size 32x48" + quick, &rc);
  ASSERT_EQ(rc, 0) << out;
  nlohmann::json report = nlohmann::json::parse(out);
  EXPECT_EQ(report["image_size"], nlohmann::json({32, 48}));
  EXPECT_EQ(report["tokens"], 1 + 2 * 3);
  out = vitbench("--arch vit_tiny_patch16_224" + quick, &rc);
  ASSERT_EQ(rc, 0) << out;
  report = nlohmann::json::parse(out);
  EXPECT_EQ(report["image_size"], nlohmann::json({224, 224}));
  EXPECT_EQ(report["tokens"], 197);
  // ViT-Ti/16's 5.7 M weights in float32, at least; the process holds them and its activations.
  EXPECT_GE(report["weights_mib"].get<double>(), 5.7e6 * 4 / (1 << 20));
  EXPECT_GT(report["activations_mib"].get<double>(), 0.0);
  EXPECT_GE(report["peak_rss_mib"].get<double>(),
            report["weights_mib"].get<double>() + report["activations_mib"].get<double>());
  out = vitbench("--arch vit_tiny_patch16_224 --image-size 30" + quick, &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(out, "vitbench: --arch: image size 30x30 is not a multiple of the patch size 16\n");
}

TEST(Vitbench, ImageSizeResamplesAModelFoldersPositions) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::scratch_dir("vitbench_image_size") + "/model";
  std::string out;
  ASSERT_TRUE(import_fixture("vit_classifier", dir, &out)) << out;
  int rc = 0;
  for (const char* mode : {"", " --profile"}) {
    out = vitbench("--model " + dir + " --image-size 48x40 --iters 1 --warmup 0 --no-peak --threads 1 --json" + mode,
                   &rc);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_EQ(nlohmann::json::parse(out)["image_size"], nlohmann::json({48, 40})) << mode;
  }
  out = vitbench("--model " + dir + " --image-size 48x40 --iters 1 --warmup 0 --no-peak --threads 1 --json", &rc);
  EXPECT_EQ(nlohmann::json::parse(out)["tokens"], 1 + 6 * 5);  // patch 8
}

TEST(Vitbench, RefusesArchitecturesTheEngineCannotRunWithTheImportersReason) {
  int rc = 0;
  std::string out = vitbench("--arch vit_base_r50_s16_384", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(out,
            "vitbench: --arch: vit_base_r50_s16_384 is not supported because it is a hybrid ResNet-ViT (CNN patch "
            "embedding)\n");
  out = vitbench("--arch vit_giant_patch14_dinov2", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(out, "vitbench: --arch: vit_giant_patch14_dinov2 is not supported: MLP type SwiGLUPacked\n");
  out = vitbench("--arch vit_tiny_patch16_225", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(out.rfind("vitbench: --arch: \"vit_tiny_patch16_225\" is not a timm architecture in ", 0), 0u) << out;
  out = vitbench("--arch resnet50", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(out.rfind("vitbench: --arch: unknown timm architecture \"resnet50\"", 0), 0u) << out;
  out = vitbench("--arch vit_tiny_patch16_224 --image-size 32 --input x.npy", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(out, "vitbench: --input sets the image size; drop --image-size\n");
}

TEST(Vitbench, LogitsOfAHeadlessModelAreItsTimedOutput) {
  VIT_REQUIRE_SHARED();
  const std::string folder = test::fixtures_dir() + "/hf/dinov2";
  const std::string written = test::scratch_dir("vitbench_headless") + "/out.npy";
  int rc = 0;
  const std::string out = vitbench("--model " + folder + " --input " + folder + "/input.npy --logits " + written +
                                       " --iters 1 --warmup 0 --no-peak --threads 1 --json",
                                   &rc);
  ASSERT_EQ(rc, 0) << out;
  const NpyArray got = read_npy(written), expected = read_npy(folder + "/pre_logits.npy");  // pooler_output
  ASSERT_EQ(got.shape, expected.shape);
  const std::vector<float> g = got.tensor().to_float(), e = expected.tensor().to_float();
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], e[i], 1e-4) << i;
}

// bfloat16 and int8 loads of a float32 folder map its pages as each matrix is packed, so the
// whole file is never resident next to the smaller packed copy (vit_tiny_real's 22 MB file:
// 34 MiB peak when every page was mapped up front, 29 MiB on demand, 41 MiB for float32).
TEST(Vitbench, ReducedPrecisionLoadsDoNotHoldTheFloatFile) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::scratch_dir("vitbench_load_rss") + "/model";
  std::string out;
  ASSERT_TRUE(import_fixture("vit_tiny_real", dir, &out)) << out;
  auto report = [&](const std::string& dtype) {
    int rc = 0;
    const std::string text =
        vitbench("--model " + dir + " --dtype " + dtype + " --iters 1 --warmup 0 --no-peak --threads 1 --json", &rc);
    EXPECT_EQ(rc, 0) << text;
    return nlohmann::json::parse(text);
  };
  const nlohmann::json f32 = report("f32");
  const double float_weights = f32["weights_mib"].get<double>();
  for (const char* dtype : {"bf16", "int8"})
    EXPECT_LT(report(dtype)["peak_rss_mib"].get<double>(), f32["peak_rss_mib"].get<double>() - 0.35 * float_weights)
        << dtype;
}

// --peak measures in --dtype's precision (where this CPU has oneDNN kernels for it).
TEST(Vitbench, PeakRunsInTheChosenPrecision) {
  for (const std::string dtype : {"f32", "bf16", "int8"}) {
    int rc = 0;
    const std::string out = vitbench("--peak --dtype " + dtype + " --shape 64x64x64 --seconds 0 --threads 1 --json", &rc);
    if (rc != 0) {
      EXPECT_NE(out.find("this CPU has no " + dtype), std::string::npos) << out;
      continue;
    }
    const nlohmann::json report = nlohmann::json::parse(out);
    EXPECT_EQ(report["engine"], "MatmulRunner (oneDNN matmul, " + dtype + ")");
    EXPECT_EQ(report["dtype"], dtype);
    EXPECT_GT(report["peak_gflops"].get<double>(), 0.0);
  }
}

// --fma: the cores' float32 FMA rate on the chosen threads, in the ISA this CPU has; --peak and
// float32 latency give their rate as a fraction of it (bf16 and int8 run on other units).
TEST(Vitbench, FmaRateAndTheFractionsOfIt) {
  const std::string isa = __builtin_cpu_supports("avx512f")                                  ? "avx512f"
                          : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? "avx2+fma"
                                                                                             : "none";
  int rc = 0;
  const std::string out = vitbench("--fma --threads 1 --seconds 0 --json", &rc);
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json fma = nlohmann::json::parse(out);
  EXPECT_EQ(fma["mode"], "fma");
  EXPECT_EQ(fma["isa"], isa);
  EXPECT_EQ(fma["threads"], 1);
  EXPECT_FALSE(fma.contains("dtype"));
  if (isa == "none") GTEST_SKIP() << "no vector FMA on this CPU: rate 0, no fractions";
  EXPECT_GT(fma["gflops"].get<double>(), 1.0);

  const nlohmann::json peak =
      nlohmann::json::parse(vitbench("--peak --shape 64x64x64 --seconds 0 --threads 1 --json", &rc));
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(peak["fma"]["isa"], isa);
  EXPECT_NEAR(peak["fraction_of_fma"].get<double>(),
              peak["peak_gflops"].get<double>() / peak["fma"]["gflops"].get<double>(), 1e-9);

  const std::string tiny = "--arch vit_tiny_patch16_224 --image-size 32 --iters 1 --warmup 0 --seconds 0 --threads 1 --json";
  const nlohmann::json f32 = nlohmann::json::parse(vitbench(tiny, &rc));
  ASSERT_EQ(rc, 0);
  EXPECT_NEAR(f32["fraction_of_fma"].get<double>(), f32["gflops"].get<double>() / f32["fma"]["gflops"].get<double>(),
              1e-9);
  const std::string bf16 = vitbench(tiny + " --dtype bf16", &rc);
  if (rc == 0) {  // else this CPU has no bf16 GEMMs
    EXPECT_FALSE(nlohmann::json::parse(bf16).contains("fma")) << bf16;
  }

  const std::string both = vitbench("--fma --peak", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(both.find("separate runs"), std::string::npos) << both;
}

TEST(VitbenchAlternate, TimesEachModelInTurnAndGivesRatiosToTheFirst) {
  const std::string config = test::fixtures_dir() + "/hf/siglip/config.json";
  std::string out;
  ASSERT_EQ(test::run_command(std::string(VITBENCH_ALTERNATE_PATH) + " --rounds 2 --threads 1 vit_tiny_patch16_224 " +
                                  (test::shared_dir().empty() ? std::string("vit_tiny_patch16_224") : config),
                              &out),
            0)
      << out;
  EXPECT_NE(out.find("vit_tiny_patch16_224"), std::string::npos) << out;
  EXPECT_NE(out.find("ratio 1.000"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  EXPECT_EQ(test::run_command(std::string(VITBENCH_ALTERNATE_PATH) + " no_such_arch", &out), 2);
  EXPECT_NE(out.find("vitbench-alternate: "), std::string::npos) << out;
}

}  // namespace
}  // namespace vit

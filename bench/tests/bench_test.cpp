#include <algorithm>

#include <gtest/gtest.h>

#include "bench/arch_presets.h"
#include "bench/forward_flops.h"
#include "bench/latency_stats.h"
#include "bench/matmul_peak.h"
#include "bench/random_weights.h"
#include "formats/error.h"
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

TEST(ArchPresets, KnownShapesAndUnknownNames) {
  const VitConfig tiny = arch_config("vit_tiny_patch16_224");
  EXPECT_EQ(tiny.hidden_size, 192);
  EXPECT_EQ(tiny.num_heads, 3);
  EXPECT_EQ(tiny.intermediate_size, 768);
  const VitConfig large = arch_config("vit_large_patch16_224");
  EXPECT_EQ(large.num_layers, 24);
  EXPECT_EQ(large.num_classes, 1000);
  EXPECT_THROW(arch_config("vit_huge_patch14_224"), Error);
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

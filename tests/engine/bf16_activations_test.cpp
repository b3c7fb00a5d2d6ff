// bfloat16 activations between layers (LayerNorm and fc1 writing bfloat16 for the next GEMM):
// the values are those the GEMM's own conversion would have made.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "engine/ops/layer_norm.h"
#include "engine/ops/matmul.h"
#include "formats/error.h"
#include "tests/engine/random_layer.h"

namespace vit {
namespace {

uint16_t round_to_bf16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

float from_bf16(uint16_t h) {
  const uint32_t bits = uint32_t{h} << 16;
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

TEST(Bf16Activations, LayerNormWritesItsFloat32ResultRoundedToNearestEven) {
  const int64_t rows = 7, dim = 200;  // not a multiple of any vector width
  const std::vector<float> x = random_values(rows * dim, 1, 3.0f), weight = random_values(dim, 2),
                           bias = random_values(dim, 3);
  std::vector<float> f32(x.size());
  std::vector<uint16_t> bf16(x.size());
  layer_norm(x.data(), f32.data(), rows, dim, weight.data(), bias.data(), 1e-6f);
  layer_norm(x.data(), bf16.data(), rows, dim, weight.data(), bias.data(), 1e-6f);
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(bf16[i], round_to_bf16(f32[i])) << i;
}

using Bf16Layer = RandomLayer<Precision::BF16>;

TEST_F(Bf16Layer, Bfloat16InputsGiveTheResultsOfTheGemmsOwnConversion) {
  std::vector<uint16_t> x16(x.size());
  for (size_t i = 0; i < x.size(); ++i) x16[i] = round_to_bf16(x[i]);
  std::vector<float> converted(kRows * kOutputs), given(kRows * kOutputs);
  mm.linear({kRows, kInputs, kOutputs}, x.data(), packed, bias.data(), converted.data(), Epilogue::GeluErf);
  mm.linear({kRows, kInputs, kOutputs}, x16.data(), packed, bias.data(), given.data(), Epilogue::GeluErf);
  EXPECT_EQ(given, converted);
}

TEST_F(Bf16Layer, Bfloat16OutputsAreTheFloat32OutputsRounded) {
  std::vector<float> f32(kRows * kOutputs);
  std::vector<uint16_t> bf16(kRows * kOutputs);
  mm.linear({kRows, kInputs, kOutputs}, x.data(), packed, bias.data(), f32.data(), Epilogue::GeluErf);
  mm.linear({kRows, kInputs, kOutputs}, x.data(), packed, bias.data(), bf16.data(), Epilogue::GeluErf);
  // The kernel for a bfloat16 output may sum in another order: within one bfloat16 step.
  for (size_t i = 0; i < f32.size(); ++i)
    ASSERT_NEAR(from_bf16(bf16[i]), f32[i], std::abs(f32[i]) / 128 + 1e-6f) << i;
}

TEST(Bf16Activations, LayersThatCannotTakeThemRefuse) {
  const int64_t rows = 2, inputs = 64, outputs = 64;
  const std::vector<float> w = random_values(inputs * outputs, 10);
  MatmulRunner mm;
  const PackedWeights f32 = mm.pack(w.data(), inputs, outputs, Precision::F32);
  std::vector<uint16_t> x16(rows * inputs), y16(rows * outputs);
  std::vector<float> y(rows * outputs);
  EXPECT_THROW(mm.linear({rows, inputs, outputs}, x16.data(), f32, nullptr, y.data(), Epilogue::None), Error);
  try {
    const PackedWeights bf16 = mm.pack(w.data(), inputs, outputs, Precision::BF16);
    EXPECT_THROW(mm.linear({rows, inputs, outputs}, x16.data(), bf16, nullptr, y16.data(), Epilogue::AddToOutput),
                 Error);
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();
  }
}

}  // namespace
}  // namespace vit

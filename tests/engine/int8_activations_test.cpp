// int8 activations between layers (LayerNorm and fc1 writing int8 rows with their scales for
// the next int8 GEMM): the values are those the GEMM's own quantization would have made, so
// the layer's results do not change.
#include <vector>

#include <gtest/gtest.h>

#include "engine/ops/layer_norm.h"
#include "engine/ops/matmul.h"
#include "engine/ops/quantize.h"
#include "formats/error.h"
#include "tests/engine/random_layer.h"

namespace vit {
namespace {

struct Quantized {
  std::vector<int8_t> q;
  std::vector<float> scales;
  Quantized(const std::vector<float>& x, int64_t rows) : q(x.size()), scales(rows) {
    quantize_rows(x.data(), rows, static_cast<int64_t>(x.size()) / rows, q.data(), scales.data());
  }
  Quantized(int64_t rows, int64_t cols) : q(rows * cols), scales(rows) {}
};

TEST(Int8Activations, LayerNormWritesItsFloat32ResultQuantized) {
  const int64_t rows = 300, dim = 200;  // enough rows to share between threads
  const std::vector<float> x = random_values(rows * dim, 1, 3.0f), weight = random_values(dim, 2),
                           bias = random_values(dim, 3);
  std::vector<float> f32(x.size());
  layer_norm(x.data(), f32.data(), rows, dim, weight.data(), bias.data(), 1e-6f);
  const Quantized want(f32, rows);
  Quantized got(rows, dim);
  layer_norm(x.data(), got.q.data(), got.scales.data(), rows, dim, weight.data(), bias.data(), 1e-6f);
  EXPECT_EQ(got.q, want.q);
  EXPECT_EQ(got.scales, want.scales);
}

using Int8Layer = RandomLayer<Precision::Int8>;

TEST_F(Int8Layer, Int8InputsGiveTheResultsOfTheGemmsOwnQuantization) {
  const Quantized xq(x, kRows);
  std::vector<float> quantized_here(kRows * kOutputs), given(kRows * kOutputs);
  mm.linear({kRows, kInputs, kOutputs}, x.data(), packed, bias.data(), quantized_here.data(), Epilogue::GeluErf);
  mm.linear({kRows, kInputs, kOutputs}, LinearInput(xq.q.data(), xq.scales.data()), packed, bias.data(),
            given.data(), Epilogue::GeluErf);
  EXPECT_EQ(given, quantized_here);
}

TEST_F(Int8Layer, Int8OutputsAreTheFloat32OutputsQuantized) {
  std::vector<float> f32(kRows * kOutputs);
  mm.linear({kRows, kInputs, kOutputs}, x.data(), packed, bias.data(), f32.data(), Epilogue::GeluErf);
  const Quantized want(f32, kRows);
  Quantized got(kRows, kOutputs);
  std::vector<float> sums(kRows * kOutputs);
  mm.linear({kRows, kInputs, kOutputs}, x.data(), packed, bias.data(),
            LinearOutput(got.q.data(), got.scales.data(), sums.data()), Epilogue::GeluErf);
  EXPECT_EQ(got.q, want.q);
  EXPECT_EQ(got.scales, want.scales);
}

TEST_F(Int8Layer, LayersThatCannotTakeThemRefuse) {
  const PackedWeights f32 = mm.pack(w.data(), kInputs, kOutputs, Precision::F32);
  Quantized xq(x, kRows), yq(kRows, kOutputs);
  std::vector<float> y(kRows * kOutputs);
  const LinearInput int8_in(xq.q.data(), xq.scales.data());
  const LinearOutput int8_out(yq.q.data(), yq.scales.data(), y.data());
  EXPECT_THROW(mm.linear({kRows, kInputs, kOutputs}, int8_in, f32, nullptr, y.data(), Epilogue::None), Error);
  EXPECT_THROW(mm.linear({kRows, kInputs, kOutputs}, x.data(), f32, nullptr, int8_out, Epilogue::None), Error);
  EXPECT_THROW(mm.linear({kRows, kInputs, kOutputs}, x.data(), packed, nullptr, int8_out, Epilogue::AddToOutput),
               Error);
  const LinearOutput without_sums(yq.q.data(), yq.scales.data(), nullptr);
  EXPECT_THROW(mm.linear({kRows, kInputs, kOutputs}, x.data(), packed, nullptr, without_sums, Epilogue::None), Error);
}

}  // namespace
}  // namespace vit

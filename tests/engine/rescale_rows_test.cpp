// The second step of int8 layers against float64: row scales, bias, each epilogue, the
// residual update with and without gamma; both the AVX-512 and the portable code.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/ops/quantize.h"
#include "engine/ops/rescale_rows.h"
#include "formats/error.h"

namespace vit {
namespace {

// In forms that do not cancel in the negative tails (1 + erf(z) = erfc(-z), 1 + tanh(u) =
// 2 / (1 + e^-2u)).
double activate(Epilogue epilogue, double x) {
  switch (epilogue) {
    case Epilogue::GeluErf: return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
    case Epilogue::GeluTanh: return x / (1.0 + std::exp(-2.0 * std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case Epilogue::QuickGelu: return x / (1.0 + std::exp(-1.702 * x));
    default: return x;
  }
}

struct Rescaler {
  void (*to_float)(const RowRescale&, float*);
  void (*to_int8)(const RowRescale&, int8_t*, float*);
  const char* name;
};

struct Case {
  Epilogue epilogue;
  bool bias, gamma;
};

class RescaleRows : public ::testing::TestWithParam<Rescaler> {};

TEST_P(RescaleRows, MatchesFloat64ForEveryEpilogue) {
  std::mt19937 rng(21);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const Case cases[] = {{Epilogue::None, false, false},     {Epilogue::None, true, false},
                        {Epilogue::GeluErf, true, false},   {Epilogue::GeluTanh, true, false},
                        {Epilogue::QuickGelu, true, false}, {Epilogue::AddToOutput, true, false},
                        {Epilogue::AddToOutput, true, true}, {Epilogue::AddToOutput, false, true}};
  for (const Case& c : cases)
    for (int64_t cols : {1, 15, 16, 17, 100}) {
      const int64_t rows = 5;
      std::vector<float> sums(rows * cols), scales(rows), bias(cols), gamma(cols), y(rows * cols);
      // Values out to about +-40 reach the tails of every activation.
      for (float& v : sums) v = 4.0f * normal(rng);
      for (float& v : scales) v = 0.5f + std::fabs(normal(rng));
      for (float& v : bias) v = normal(rng);
      for (float& v : gamma) v = normal(rng);
      for (float& v : y) v = normal(rng);
      const std::vector<float> before = y;
      GetParam().to_float({sums.data(), scales.data(), c.bias ? bias.data() : nullptr,
                           c.gamma ? gamma.data() : nullptr, c.epilogue, rows, cols},
                          y.data());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < cols; ++i) {
          // The layer's value rounded once to float32, as the kernels do; from there on float64.
          const double v = std::fma(sums[r * cols + i], scales[r], c.bias ? bias[i] : 0.0f);
          const double update = (c.gamma ? gamma[i] : 1.0) * v, old = before[r * cols + i];
          const double want = c.epilogue == Epilogue::AddToOutput ? old + update : activate(c.epilogue, v);
          // In the negative tails the activations' relative condition grows as x^2 (rounding x
          // to float32 alone moves GELU by about x^2 * 6e-8 relative), hence the x^2 factor;
          // e^x stops at e^-87, so results below about 1e-36 need not underflow to 0.
          const double tolerance = c.epilogue == Epilogue::AddToOutput
                                       ? 1.2e-7 * (std::fabs(old) + std::fabs(update))
                                       : 4e-7 * std::fabs(want) * std::max(1.0, v * v) + 1e-35;
          ASSERT_NEAR(y[r * cols + i], want, tolerance)
              << "epilogue " << static_cast<int>(c.epilogue) << ", width " << cols << ", x " << v;
        }
    }
}

TEST_P(RescaleRows, WritesInPlace) {
  std::vector<float> sums = {1.0f, -2.0f, 3.0f, 0.5f};
  const std::vector<float> scales = {2.0f, 0.5f}, bias = {0.25f, -0.25f};
  GetParam().to_float({sums.data(), scales.data(), bias.data(), nullptr, Epilogue::None, 2, 2}, sums.data());
  EXPECT_EQ(sums, (std::vector<float>{2.25f, -4.25f, 1.75f, 0.0f}));
}

// The int8 output is the float32 one quantized by quantize_rows, value for value.
TEST_P(RescaleRows, Int8OutputIsTheFloatOutputQuantized) {
  std::mt19937 rng(22);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  const int64_t rows = 40, cols = 3072;  // shared between threads
  std::vector<float> sums(rows * cols), scales(rows, 0.7f), bias(cols);
  for (float& v : sums) v = normal(rng);
  for (float& v : bias) v = normal(rng);
  for (Epilogue epilogue : {Epilogue::None, Epilogue::GeluErf, Epilogue::QuickGelu}) {
    const RowRescale r{sums.data(), scales.data(), bias.data(), nullptr, epilogue, rows, cols};
    std::vector<float> y(rows * cols), want_scales(rows), got_scales(rows);
    std::vector<int8_t> want(rows * cols), got(rows * cols);
    GetParam().to_float(r, y.data());
    quantize_rows(y.data(), rows, cols, want.data(), want_scales.data());
    GetParam().to_int8(r, got.data(), got_scales.data());
    EXPECT_EQ(got, want);
    EXPECT_EQ(got_scales, want_scales);
  }
}

TEST_P(RescaleRows, AResidualUpdateHasNoInt8Output) {
  const std::vector<float> sums = {1.0f}, scales = {1.0f};
  int8_t q = 0;
  float scale = 0.0f;
  EXPECT_THROW(GetParam().to_int8({sums.data(), scales.data(), nullptr, nullptr, Epilogue::AddToOutput, 1, 1}, &q, &scale),
               Error);
}

INSTANTIATE_TEST_SUITE_P(Kernels, RescaleRows,
                         ::testing::Values(Rescaler{&rescale_rows, &rescale_rows, "Fastest"},
                                           Rescaler{&rescale_rows_portable, &rescale_rows_portable, "Portable"}),
                         [](const ::testing::TestParamInfo<Rescaler>& info) { return info.param.name; });

}  // namespace
}  // namespace vit

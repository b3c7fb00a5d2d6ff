// SwiGLU's gate, silu(gate) * value, against float64 on widths around the 16-value vectors,
// large gates of either sign (where e^-gate overflows float32) and NaN; both the AVX-512 and the
// portable code.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/ops/gated_activation.h"

namespace vit {
namespace {

using Gate = void (*)(const float*, int64_t, int64_t, float*);

class SwigluGate : public ::testing::TestWithParam<Gate> {};

double silu_times(double gate, double value) { return gate / (1.0 + std::exp(-gate)) * value; }

TEST_P(SwigluGate, MatchesFloat64OnEveryWidth) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> gates(-30.0f, 30.0f), values(-2.0f, 2.0f);
  for (int64_t width : {1, 15, 16, 17, 100}) {
    const int64_t rows = 3;
    std::vector<float> in(static_cast<size_t>(rows * 2 * width)), out(static_cast<size_t>(rows * width), -1.0f);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < width; ++i) {
        in[r * 2 * width + i] = gates(rng);
        in[r * 2 * width + width + i] = values(rng);
      }
    in[0] = 100.0f;  // e^-gate underflows
    if (width > 1) in[1] = -100.0f;  // e^-gate overflows float32
    GetParam()(in.data(), rows, width, out.data());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < width; ++i) {
        const double want = silu_times(in[r * 2 * width + i], in[r * 2 * width + width + i]);
        EXPECT_NEAR(out[r * width + i], want, 1e-6 * std::fabs(want) + 1e-30) << "width " << width << " at " << i;
      }
  }
}

TEST_P(SwigluGate, NanGatesStayNan) {
  const std::vector<float> in = {std::numeric_limits<float>::quiet_NaN(), 1.0f, 2.0f, 3.0f};
  std::vector<float> out(2);
  GetParam()(in.data(), 1, 2, out.data());
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_NEAR(out[1], silu_times(1.0, 3.0), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Kernels, SwigluGate, ::testing::Values(&swiglu_gate, &swiglu_gate_portable),
                         [](const ::testing::TestParamInfo<Gate>& info) {
                           return info.param == &swiglu_gate_portable ? "Portable" : "Fastest";
                         });

}  // namespace
}  // namespace vit

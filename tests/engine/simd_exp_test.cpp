// The AVX-512 pieces in simd_exp.h against float64: e^x on x <= 0, the reciprocal and the
// sigmoid, at the accuracies their comments give. Skipped on CPUs without AVX512F.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "engine/ops/simd_exp.h"

namespace vit {
namespace {

// f applied to 16 values at a time, compiled for AVX512F.
template <class F>
VIT_AVX512F std::vector<float> apply(const std::vector<float>& x, F f) {
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); i += 16) {
    const __mmask16 lanes = first_lanes(static_cast<int64_t>(x.size() - i));
    _mm512_mask_storeu_ps(y.data() + i, lanes, f(_mm512_maskz_loadu_ps(lanes, x.data() + i)));
  }
  return y;
}

VIT_AVX512F __m512 exp_of(__m512 x) { return simd_exp::exp_nonpositive(x); }
VIT_AVX512F __m512 reciprocal_of(__m512 x) { return simd_exp::reciprocal(x); }
VIT_AVX512F __m512 sigmoid_of(__m512 x) { return simd_exp::sigmoid(x); }

std::vector<float> spread(float from, float to, int count) {
  std::vector<float> x(count);
  for (int i = 0; i < count; ++i) x[i] = from + (to - from) * static_cast<float>(i) / static_cast<float>(count - 1);
  return x;
}

class SimdExp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "no AVX512F";
  }
};

TEST_F(SimdExp, ExpOfNonPositiveValuesWithin2_5e7Relative) {
  const std::vector<float> x = spread(-87.0f, 0.0f, 100001), y = apply(x, exp_of);
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    ASSERT_LE(std::fabs(y[i] - want), 2.5e-7 * want) << "x " << x[i];
  }
}

TEST_F(SimdExp, ReciprocalWithin1e7Relative) {
  const std::vector<float> x = spread(1.0f, 1000.0f, 100001), y = apply(x, reciprocal_of);
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = 1.0 / x[i];
    ASSERT_LE(std::fabs(y[i] - want), 1e-7 * want) << "x " << x[i];
  }
}

TEST_F(SimdExp, SigmoidWithin4e7RelativeOnBothSides) {
  const std::vector<float> x = spread(-80.0f, 80.0f, 100001), y = apply(x, sigmoid_of);
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
    ASSERT_LE(std::fabs(y[i] - want), 4e-7 * want) << "x " << x[i];
  }
}

}  // namespace
}  // namespace vit

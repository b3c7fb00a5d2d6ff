// A random linear layer packed in one precision, for the tests of the activations layers hand
// each other (bf16_activations_test, int8_activations_test).
#pragma once
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/ops/matmul.h"
#include "formats/error.h"

namespace vit {

inline std::vector<float> random_values(size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = uniform(rng);
  return v;
}

// 9 x 768 inputs, 256 outputs, bias; skipped where the CPU lacks the precision.
template <Precision kPrecision>
class RandomLayer : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      packed = mm.pack(w.data(), kInputs, kOutputs, kPrecision);
    } catch (const Error& e) {
      GTEST_SKIP() << e.what();
    }
  }
  static constexpr int64_t kRows = 9, kInputs = 768, kOutputs = 256;
  const std::vector<float> w = random_values(kInputs * kOutputs, 4), x = random_values(kRows * kInputs, 5),
                           bias = random_values(kOutputs, 6);
  MatmulRunner mm;
  PackedWeights packed;
};

}  // namespace vit

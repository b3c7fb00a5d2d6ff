// A DINOv2 folder with use_swiglu_ffn (tests/generators/make_dinov2_swiglu_folder.py: random
// weights, outputs from a float64 NumPy transcription of transformers' Dinov2Model).
#include <algorithm>
#include <cmath>
#include <iostream>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "formats/npy.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

double max_abs(const std::vector<float>& values) {
  double m = 0.0;
  for (float v : values) m = std::max(m, std::abs(static_cast<double>(v)));
  return m;
}

void expect_close(const std::vector<float>& got, const std::string& reference_path) {
  const std::vector<float> want = read_npy(reference_path).tensor().to_float();
  ASSERT_EQ(got.size(), want.size());
  double error = 0.0;
  for (size_t i = 0; i < got.size(); ++i) error = std::max(error, std::abs(static_cast<double>(got[i]) - want[i]));
  std::cout << "[ measured ] " << reference_path << ": max|err| " << error << "\n";
  EXPECT_LE(error, 1e-4 * std::max(1.0, max_abs(want)));
}

TEST(Dinov2Swiglu, FeaturesAndPoolerOutputMatchTheFloat64Reference) {
  const std::string dir = test::test_data("engine") + "/dinov2_swiglu";
  const VitModel model = load_model(dir);
  EXPECT_TRUE(model.config().swiglu);
  EXPECT_EQ(model.config().intermediate_size, 88);  // (int(128 * 2 / 3) + 7) // 8 * 8
  const NpyArray input = read_npy(dir + "/input.npy");
  const std::vector<float> pixels = input.tensor().to_float();
  const ForwardResult r = model.forward(pixels.data(), 2, 8, 8, kFeatures | kPoolerOutput);
  expect_close(r.features, dir + "/features.npy");
  expect_close(r.pooler_output, dir + "/pooler_output.npy");
}

}  // namespace
}  // namespace vit

// bfloat16 and int8 GEMMs: logits stay within cosine 0.999 of float32 on the fixtures, and the
// trained digits model predicts the same class on at least 99% of the test images.
#include <cmath>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "formats/npy.h"
#include "imported_model.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

double cosine(const std::vector<float>& a, const std::vector<float>& b, size_t offset, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = offset; i < offset + n; ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

ForwardResult run(const VitModel& model, const std::string& input_path) {
  const NpyArray input = read_npy(input_path);
  const std::vector<float> pixels = input.tensor().to_float();
  return model.forward(pixels.data(), int(input.shape[0]), int(input.shape[2]), int(input.shape[3]), kLogits);
}

const char* const kFixtures[] = {"vit_classifier", "deit_classifier", "vit_tiny_real", "vit_avgpool_fcnorm",
                                 "vit_layerscale",  "vit_clip_style",  "vit_siglip_map", "vit_reg4",
                                 "vit_noqkvbias_qknorm", "deit_distilled"};

class ReducedPrecision : public ::testing::TestWithParam<std::tuple<Precision, const char*>> {};

TEST_P(ReducedPrecision, LogitsCosineAtLeast0999) {
  VIT_REQUIRE_SHARED();
  const auto [precision, name] = GetParam();
  const std::string fixture = test::fixture(name);
  const std::string dir = test::import_to_scratch(fixture, "model");
  const ForwardResult f32 = run(load_model(dir, Precision::F32), fixture + "/input.npy");
  const ForwardResult reduced = run(load_model(dir, precision), fixture + "/input.npy");
  const size_t classes = f32.logits.size() / f32.batch;
  for (int b = 0; b < f32.batch; ++b) {
    const double c = cosine(f32.logits, reduced.logits, b * classes, classes);
    std::cout << "[ cosine   ] " << precision_name(precision) << " " << name << " image " << b << ": " << c << "\n";
    EXPECT_GE(c, 0.999);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ReducedPrecision,
                         ::testing::Combine(::testing::Values(Precision::BF16, Precision::Int8),
                                            ::testing::ValuesIn(kFixtures)));

class ReducedPrecisionDigits : public ::testing::TestWithParam<Precision> {};

TEST_P(ReducedPrecisionDigits, TopOneAgreesOnAtLeast99Percent) {
  VIT_REQUIRE_SHARED();
  const std::string digits = test::shared_dir() + "/digits";
  const std::string dir = test::import_to_scratch(digits + "/model", "model");
  const ForwardResult f32 = run(load_model(dir, Precision::F32), digits + "/test_pixels.npy");
  const ForwardResult reduced = run(load_model(dir, GetParam()), digits + "/test_pixels.npy");
  int same = 0;
  for (int b = 0; b < f32.batch; ++b) {
    auto best = [&](const std::vector<float>& l) {
      return std::max_element(l.begin() + b * 10, l.begin() + b * 10 + 10) - (l.begin() + b * 10);
    };
    same += best(f32.logits) == best(reduced.logits);
  }
  std::cout << precision_name(GetParam()) << " top-1 equals f32 on " << same << "/" << f32.batch << " digits\n";
  EXPECT_GE(same, 0.99 * f32.batch);
}

INSTANTIATE_TEST_SUITE_P(Precisions, ReducedPrecisionDigits, ::testing::Values(Precision::BF16, Precision::Int8));

}  // namespace
}  // namespace vit

// bfloat16 and int8 GEMMs: logits stay within cosine 0.999 of float32 on the fixtures, and the
// trained digits model predicts the same class on at least 99% of the test images.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
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

const char* const kFixtures[] = {"vit_classifier", "deit_classifier", "vit_tiny_real", "vit_avgpool_fcnorm",
                                 "vit_layerscale",  "vit_clip_style",  "vit_siglip_map", "vit_reg4",
                                 "vit_noqkvbias_qknorm", "deit_distilled"};

// Every row of `width` values keeps cosine >= 0.999; prints each figure.
void expect_rows_close(const std::vector<float>& f32, const std::vector<float>& reduced, size_t width,
                       const std::string& what) {
  ASSERT_EQ(reduced.size(), f32.size());
  for (size_t b = 0; b < f32.size() / width; ++b) {
    const double c = cosine(f32, reduced, b * width, width);
    std::cout << "[ cosine   ] " << what << " image " << b << ": " << c << "\n";
    EXPECT_GE(c, 0.999);
  }
}

class ReducedPrecision : public ::testing::TestWithParam<std::tuple<Precision, const char*>> {};

TEST_P(ReducedPrecision, LogitsCosineAtLeast0999) {
  VIT_REQUIRE_SHARED();
  const auto [precision, name] = GetParam();
  const std::string fixture = test::fixture(name);
  const std::string dir = test::import_to_scratch(fixture, "model");
  const VitModel f32_model = load_model(dir, Precision::F32);
  const std::vector<float> f32 = test::fixture_logits(f32_model, name);
  const std::vector<float> reduced = test::fixture_logits(load_model(dir, precision), name);
  expect_rows_close(f32, reduced, static_cast<size_t>(f32_model.config().num_classes),
                    std::string(precision_name(precision)) + " " + name);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ReducedPrecision,
                         ::testing::Combine(::testing::Values(Precision::BF16, Precision::Int8),
                                            ::testing::ValuesIn(kFixtures)));

// Hugging Face folders run directly: every family's own output stays within cosine 0.999.
const char* const kHfFolders[] = {"vit_classifier", "vit_pooler", "deit_distilled", "dinov2", "clip", "siglip"};

class ReducedPrecisionHf : public ::testing::TestWithParam<std::tuple<Precision, const char*>> {};

TEST_P(ReducedPrecisionHf, OutputCosineAtLeast0999) {
  VIT_REQUIRE_SHARED();
  const auto [precision, name] = GetParam();
  const std::string dir = test::fixtures_dir() + "/hf/" + name;
  const VitModel f32_model = load_model(dir, Precision::F32);
  const VitConfig& c = f32_model.config();
  const OutputKind kind = c.projection_dim > 0 ? kImageEmbeds : c.num_classes > 0 ? kLogits : kPoolerOutput;
  const auto output = [&](const VitModel& model) {
    const ForwardResult r = test::forward_on(model, dir + "/input.npy", kind);
    return kind == kImageEmbeds ? r.image_embeds : kind == kLogits ? r.logits : r.pooler_output;
  };
  const std::vector<float> f32 = output(f32_model);
  const std::vector<float> reduced = output(load_model(dir, precision));
  expect_rows_close(f32, reduced, static_cast<size_t>(output_width(c, kind)),
                    std::string(precision_name(precision)) + " hf/" + name);
}

INSTANTIATE_TEST_SUITE_P(Folders, ReducedPrecisionHf,
                         ::testing::Combine(::testing::Values(Precision::BF16, Precision::Int8),
                                            ::testing::ValuesIn(kHfFolders)));

class ReducedPrecisionDigits : public ::testing::TestWithParam<Precision> {};

TEST_P(ReducedPrecisionDigits, TopOneAgreesOnAtLeast99Percent) {
  VIT_REQUIRE_SHARED();
  const std::string digits = test::shared_dir() + "/digits";
  const std::string dir = test::import_to_scratch(digits + "/model", "model");
  const std::vector<float> f32 = test::logits_on(load_model(dir, Precision::F32), digits + "/test_pixels.npy");
  const std::vector<float> reduced = test::logits_on(load_model(dir, GetParam()), digits + "/test_pixels.npy");
  ASSERT_EQ(reduced.size(), f32.size());
  const size_t images = f32.size() / 10;
  size_t same = 0;
  for (size_t b = 0; b < images; ++b) {
    auto best = [&](const std::vector<float>& l) {
      return std::max_element(l.begin() + b * 10, l.begin() + b * 10 + 10) - (l.begin() + b * 10);
    };
    same += best(f32) == best(reduced);
  }
  std::cout << precision_name(GetParam()) << " top-1 equals f32 on " << same << "/" << images << " digits\n";
  EXPECT_GE(same, 0.99 * images);
}

INSTANTIATE_TEST_SUITE_P(Precisions, ReducedPrecisionDigits, ::testing::Values(Precision::BF16, Precision::Int8));

}  // namespace
}  // namespace vit

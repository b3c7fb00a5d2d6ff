// The three pipelines against the Pillow/transformers/timm references in ../shared/fixtures/preprocess.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/image/image_decode.h"
#include "engine/image/preprocess.h"
#include "formats/json_file.h"
#include "formats/npy.h"
#include "image_compare.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

std::string dir() { return test::fixture("preprocess"); }

struct Source {
  std::string base;  // "chelsea"
  std::string file;  // "chelsea.png", "hubble_deep_field.jpg": the pipelines start from its decoded pixels
};

std::vector<Source> sources() {
  std::vector<Source> out;
  const nlohmann::json index = read_json_file(dir() + "/index.json");
  for (const auto& item : index.at("images").items()) {
    Source s;
    s.file = item.key();
    s.base = std::filesystem::path(s.file).stem().string();
    out.push_back(s);
  }
  return out;
}

Image source_image(const Source& s) { return load_image(dir() + "/" + s.file); }

// Every stage equals the reference exactly: the decoders and the resampling are Pillow's.
void expect_same_image(const Image& ours, const std::string& reference_png) {
  SCOPED_TRACE(reference_png);
  const Image ref = load_image(reference_png);
  ASSERT_EQ(ours.width, ref.width);
  ASSERT_EQ(ours.height, ref.height);
  const test::ImageDifference d = test::compare_images(ours, ref);
  std::printf("  %-40s %s\n", std::filesystem::path(reference_png).filename().c_str(), d.text().c_str());
  EXPECT_EQ(d.max, 0) << d.text();
}

void expect_tensor(const PreprocessStages& stages, const std::string& reference_npy) {
  SCOPED_TRACE(reference_npy);
  const NpyArray ref = read_npy(reference_npy);
  ASSERT_EQ(ref.dtype, DType::F32);
  ASSERT_EQ(ref.shape, (std::vector<int64_t>{3, stages.cropped.height, stages.cropped.width}));
  ASSERT_EQ(stages.tensor.size() * sizeof(float), ref.data.size);
  const float* expected = reinterpret_cast<const float*>(ref.data.data);
  double max_diff = 0.0;
  for (size_t i = 0; i < stages.tensor.size(); ++i)
    max_diff = std::max(max_diff, std::fabs(double(stages.tensor[i]) - double(expected[i])));
  std::printf("  %-40s max |diff| %.3g\n", std::filesystem::path(reference_npy).filename().c_str(), max_diff);
  EXPECT_LE(max_diff, 1e-6);
}

PreprocessConfig timm_fixture_config() {
  PreprocessConfig c = timm_eval_defaults(224);
  c.crop_pct = 0.9;
  c.resample = ResampleFilter::Bicubic;
  return c;
}

TEST(PreprocessFixtures, HfVit) {
  VIT_REQUIRE_SHARED();
  for (const Source& s : sources()) {
    SCOPED_TRACE(s.file);
    const PreprocessStages st = preprocess_stages(source_image(s), hf_vit_defaults());
    expect_same_image(st.resized, dir() + "/" + s.base + "_vit_hf_resized.png");
    expect_tensor(st, dir() + "/" + s.base + "_vit_hf.npy");
  }
}

TEST(PreprocessFixtures, HfDeit) {
  VIT_REQUIRE_SHARED();
  for (const Source& s : sources()) {
    SCOPED_TRACE(s.file);
    const PreprocessStages st = preprocess_stages(source_image(s), hf_deit_defaults());
    expect_same_image(st.resized, dir() + "/" + s.base + "_deit_hf_resized.png");
    expect_same_image(st.cropped, dir() + "/" + s.base + "_deit_hf_cropped.png");
    expect_tensor(st, dir() + "/" + s.base + "_deit_hf.npy");
  }
}

TEST(PreprocessFixtures, TimmEval) {
  VIT_REQUIRE_SHARED();
  for (const Source& s : sources()) {
    SCOPED_TRACE(s.file);
    const PreprocessStages st = preprocess_stages(source_image(s), timm_fixture_config());
    expect_same_image(st.resized, dir() + "/" + s.base + "_timm_eval_resized.png");
    expect_same_image(st.cropped, dir() + "/" + s.base + "_timm_eval_cropped.png");
    expect_tensor(st, dir() + "/" + s.base + "_timm_eval.npy");
  }
}

// The step after the crop alone, from the reference crops: the float arithmetic must match.
TEST(PreprocessFixtures, TensorFromReferenceCrops) {
  VIT_REQUIRE_SHARED();
  for (const Source& s : sources()) {
    SCOPED_TRACE(s.file);
    struct Case {
      const char* png;
      const char* npy;
      PreprocessConfig config;
    };
    for (const Case& c : {Case{"_vit_hf_resized.png", "_vit_hf.npy", hf_vit_defaults()},
                          Case{"_deit_hf_cropped.png", "_deit_hf.npy", hf_deit_defaults()},
                          Case{"_timm_eval_cropped.png", "_timm_eval.npy", timm_fixture_config()}}) {
      PreprocessStages st;
      st.cropped = load_image(dir() + "/" + s.base + c.png);
      st.tensor = image_to_tensor(st.cropped, c.config);
      const NpyArray ref = read_npy(dir() + "/" + s.base + c.npy);
      ASSERT_EQ(st.tensor.size() * sizeof(float), ref.data.size);
      const float* expected = reinterpret_cast<const float*>(ref.data.data);
      size_t exact = 0;
      double max_diff = 0.0;
      for (size_t i = 0; i < st.tensor.size(); ++i) {
        exact += st.tensor[i] == expected[i];
        max_diff = std::max(max_diff, std::fabs(double(st.tensor[i]) - double(expected[i])));
      }
      EXPECT_LE(max_diff, 1e-6) << c.npy;
      EXPECT_EQ(exact, st.tensor.size()) << c.npy << ": bit-identical values";
    }
  }
}

}  // namespace
}  // namespace vit

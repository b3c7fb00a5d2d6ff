// The digits test set: resize((32, 32), BILINEAR), /255, (x - 0.5) / 0.5 must give test_pixels.npy.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/image/image_decode.h"
#include "engine/image/preprocess.h"
#include "formats/json_file.h"
#include "formats/npy.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

std::vector<std::string> sorted_images(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".png") names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

PreprocessConfig digits_hf_config() {
  PreprocessConfig c = hf_vit_defaults();
  c.resize_width = c.resize_height = 32;
  return c;
}

// The same from the model's own timm pretrained_cfg (crop_pct 1.0, bilinear, mean/std 0.5).
PreprocessConfig digits_timm_config(const std::string& digits) {
  nlohmann::json cfg = read_json_file(digits + "/model/config.json").at("pretrained_cfg");
  cfg["image_processor_type"] = "TimmEvalTransform";
  return preprocess_config_from_json(cfg, "digits pretrained_cfg");
}

TEST(PreprocessDigits, MatchesTestPixels) {
  VIT_REQUIRE_SHARED();
  const std::string digits = test::shared_dir() + "/digits";
  const std::vector<std::string> names = sorted_images(digits + "/images");
  const NpyArray pixels = read_npy(digits + "/test_pixels.npy");
  const NpyArray labels = read_npy(digits + "/test_labels.npy");
  ASSERT_EQ(pixels.dtype, DType::F32);
  ASSERT_EQ(pixels.shape, (std::vector<int64_t>{static_cast<int64_t>(names.size()), 3, 32, 32}));
  ASSERT_EQ(labels.dtype, DType::I64);
  const int64_t* label = reinterpret_cast<const int64_t*>(labels.data.data);
  const float* expected = reinterpret_cast<const float*>(pixels.data.data);
  const size_t per_image = 3 * 32 * 32;

  const PreprocessConfig timm = digits_timm_config(digits);
  EXPECT_EQ(timm.pipeline, PreprocessPipeline::TimmEval);
  EXPECT_EQ(timm.crop_pct, 1.0);
  double max_hf = 0.0, max_timm = 0.0;
  size_t exact_images = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    // Row i is the i-th file in name order: its label is the digit after the underscore.
    const size_t underscore = names[i].find('_');
    ASSERT_NE(underscore, std::string::npos);
    EXPECT_EQ(std::stoll(names[i].substr(underscore + 1)), label[i]);

    const Image image = load_image(digits + "/images/" + names[i]);
    const std::vector<float> hf = preprocess(image, digits_hf_config());
    const std::vector<float> tm = preprocess(image, timm);
    ASSERT_EQ(hf.size(), per_image);
    ASSERT_EQ(tm.size(), per_image);
    const float* want = expected + i * per_image;
    bool exact = true;
    for (size_t k = 0; k < per_image; ++k) {
      max_hf = std::max(max_hf, std::fabs(double(hf[k]) - want[k]));
      max_timm = std::max(max_timm, std::fabs(double(tm[k]) - want[k]));
      exact = exact && hf[k] == want[k];
    }
    exact_images += exact;
  }
  std::printf("  %zu digits: max |diff| HF pipeline %.3g, timm pipeline %.3g; %zu bit-identical\n", names.size(),
              max_hf, max_timm, exact_images);
  EXPECT_LE(max_hf, 1e-6);
  EXPECT_LE(max_timm, 1e-6);
}

}  // namespace
}  // namespace vit

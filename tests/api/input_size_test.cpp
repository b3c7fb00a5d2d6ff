// The input size comes from the preprocessor configuration, and pixel buffers are checked
// against the sizes they claim before anything is read.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "api_models.h"
#include "test_support/shared_data.h"
#include "vitcpp/vitcpp.h"

namespace fs = std::filesystem;

namespace vitcpp {
namespace {

// The digits model with another preprocessor_config.json.
std::string digits_with_processor(const std::string& processor_json) {
  const std::string folder = vit::test::scratch_dir("model");
  for (const auto& entry : fs::directory_iterator(test::digits_folder()))
    fs::copy_file(entry.path(), folder + "/" + entry.path().filename().string());
  std::ofstream(folder + "/preprocessor_config.json", std::ios::trunc) << processor_json;
  return folder;
}

constexpr const char* kNoResize =
    R"({"image_processor_type": "ViTImageProcessor", "do_resize": false, "image_mean": 0.5, "image_std": 0.5})";

TEST(ApiInputSize, WithoutResizeTheSizeIsEachImagesOwn) {
  const Model model = Model::load(digits_with_processor(kNoResize));
  EXPECT_EQ(model.input_height(), 0);
  EXPECT_EQ(model.input_width(), 0);
  int height = 0, width = 0;
  const std::vector<float> pixels = model.preprocess_file(test::digit_images()[0], &height, &width);
  EXPECT_EQ(height, 64);  // the PNG's own size
  EXPECT_EQ(width, 64);
  EXPECT_THROW(model.classify(pixels.data(), pixels.size(), 1, 3), std::runtime_error);
  const auto best = model.classify(pixels.data(), pixels.size(), 1, height, width, 3);
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].size(), 3u);
}

TEST(ApiInputSize, HugeConfiguredSizesAreReportedWithoutPreprocessingAnything) {
  const Model model = Model::load(digits_with_processor(
      R"({"image_processor_type": "ViTImageProcessor", "size": {"height": 8192, "width": 4096}})"));
  EXPECT_EQ(model.input_height(), 8192);
  EXPECT_EQ(model.input_width(), 4096);
}

TEST(ApiInputSize, SidesOverTheImageLimitAreRefusedAtLoad) {
  try {
    Model::load(digits_with_processor(
        R"({"image_processor_type": "ViTImageProcessor", "size": {"height": 16384, "width": 8192}})"));
    ADD_FAILURE() << "a 16384-pixel side was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("between 1 and 8192, got 16384"), std::string::npos) << e.what();
  }
}

TEST(ApiInputSize, PixelCountsMustMatchTheClaimedShape) {
  const Model model = Model::load(test::digits_folder());
  ASSERT_EQ(model.input_height(), 32);
  const std::vector<float> pixels = model.preprocess_file(test::digit_images()[0]);
  ASSERT_EQ(pixels.size(), 3u * 32 * 32);
  for (size_t wrong : {pixels.size() - 1, pixels.size() + 1, size_t{0}}) {
    try {
      model.classify(pixels.data(), wrong, 1, 1);
      ADD_FAILURE() << wrong << " floats were accepted";
    } catch (const std::runtime_error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(std::to_string(wrong) + " floats given"), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
  EXPECT_THROW(model.run(pixels.data(), pixels.size(), 2, 32, 32, kLogits), std::runtime_error);  // batch of 2 claimed
  EXPECT_THROW(model.run(pixels.data(), pixels.size(), 1, 32, 24, kLogits), std::runtime_error);
  EXPECT_THROW(model.run(pixels.data(), pixels.size(), 0, 32, 32, kLogits), std::runtime_error);
  EXPECT_THROW(model.run(pixels.data(), pixels.size(), 1 << 30, 1 << 30, 1 << 30, kLogits), std::runtime_error);
}

}  // namespace
}  // namespace vitcpp

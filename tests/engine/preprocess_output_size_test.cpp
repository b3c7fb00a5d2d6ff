// The output size computed from a configuration alone is what preprocessing gives every image.
#include <gtest/gtest.h>

#include "engine/image/preprocess.h"

namespace vit {
namespace {

void expect_fixed_size_matches_images(const PreprocessConfig& config, int width, int height) {
  const std::optional<ImageSize> size = fixed_output_size(config);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->width, width);
  EXPECT_EQ(size->height, height);
  for (const auto& [w, h] : {std::pair{17, 9}, std::pair{64, 64}, std::pair{300, 41}}) {
    const PreprocessStages s = preprocess_stages(Image(w, h), config);
    EXPECT_EQ(s.cropped.width, width) << "image " << w << "x" << h;
    EXPECT_EQ(s.cropped.height, height) << "image " << w << "x" << h;
  }
}

TEST(PreprocessOutputSize, ResizeCropAndTimmSizesAreFixed) {
  PreprocessConfig vit = hf_vit_defaults();
  vit.resize_width = 40;
  vit.resize_height = 24;
  expect_fixed_size_matches_images(vit, 40, 24);
  PreprocessConfig deit = hf_deit_defaults();
  deit.crop_width = 32;
  deit.crop_height = 48;
  expect_fixed_size_matches_images(deit, 32, 48);
  deit.do_resize = false;  // the crop alone still fixes the size (padding small images)
  expect_fixed_size_matches_images(deit, 32, 48);
  PreprocessConfig timm = timm_eval_defaults(48);
  timm.input_width = 64;
  expect_fixed_size_matches_images(timm, 64, 48);
}

TEST(PreprocessOutputSize, WithoutResizeOrCropTheSizeIsTheImages) {
  PreprocessConfig config = hf_vit_defaults();
  config.do_resize = false;
  EXPECT_FALSE(fixed_output_size(config).has_value());
  const PreprocessStages s = preprocess_stages(Image(23, 11), config);
  EXPECT_EQ(s.cropped.width, 23);
  EXPECT_EQ(s.cropped.height, 11);
}

TEST(PreprocessOutputSize, HugeSizesAreComputedWithoutAllocating) {
  PreprocessConfig config = hf_vit_defaults();
  config.resize_width = config.resize_height = 16384;
  const std::optional<ImageSize> size = fixed_output_size(config);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->width, 16384);
}

}  // namespace
}  // namespace vit

// Center crops (HF vs torchvision rounding and padding) and timm's resize rules per crop mode.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "engine/image/pil_resize.h"
#include "engine/image/preprocess.h"
#include "formats/error.h"

namespace vit {
namespace {

// Pixel (x, y) holds (x, y, 7): a crop's offset can be read off its first pixel.
Image coordinates(int w, int h) {
  Image image(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      image.pixel(x, y)[0] = static_cast<uint8_t>(x);
      image.pixel(x, y)[1] = static_cast<uint8_t>(y);
      image.pixel(x, y)[2] = 7;
    }
  return image;
}

TEST(PreprocessCrop, OddDifferencesRoundLikeTheirLibraries) {
  // (size - crop) / 2 = 0.5, 1.5, 2.5, 3.5: HF floors; torchvision rounds halves to even.
  const int crop = 4;
  const int hf[] = {0, 1, 2, 3};
  const int tv[] = {0, 2, 2, 4};
  for (int i = 0; i < 4; ++i) {
    const int size = crop + 2 * i + 1;
    const Image image = coordinates(size, size);
    const Image a = center_crop(image, crop, crop, CropStyle::HuggingFace);
    const Image b = center_crop(image, crop, crop, CropStyle::Torchvision);
    EXPECT_EQ(a.pixel(0, 0)[0], hf[i]) << size;
    EXPECT_EQ(a.pixel(0, 0)[1], hf[i]) << size;
    EXPECT_EQ(b.pixel(0, 0)[0], tv[i]) << size;
    EXPECT_EQ(b.pixel(0, 0)[1], tv[i]) << size;
  }
  // Even differences agree.
  const Image even = coordinates(256, 256);
  EXPECT_EQ(center_crop(even, 224, 224, CropStyle::HuggingFace), center_crop(even, 224, 224, CropStyle::Torchvision));
  EXPECT_EQ(center_crop(even, 224, 224, CropStyle::HuggingFace).pixel(0, 0)[0], 16);
}

TEST(PreprocessCrop, LargerCropsPadOnOppositeSides) {
  // 3 wide into 6: HF pads ceil(3/2) = 2 on the left, torchvision floor(3/2) = 1.
  const Image image = coordinates(3, 1);
  const Image hf = center_crop(image, 6, 1, CropStyle::HuggingFace);
  const Image tv = center_crop(image, 6, 1, CropStyle::Torchvision, {9, 8, 7});
  const int hf_blue[] = {0, 0, 7, 7, 7, 0};
  const int tv_red[] = {9, 0, 1, 2, 9, 9};
  for (int x = 0; x < 6; ++x) {
    EXPECT_EQ(hf.pixel(x, 0)[2], hf_blue[x]) << x;
    EXPECT_EQ(tv.pixel(x, 0)[0], tv_red[x]) << x;
  }
  EXPECT_EQ(hf.pixel(2, 0)[0], 0);
  EXPECT_EQ(hf.pixel(4, 0)[0], 2);
  EXPECT_EQ(tv.pixel(5, 0)[1], 8);  // the fill colour

  // Padding on one axis, cropping on the other.
  const Image tall = coordinates(2, 9);
  const Image mixed = center_crop(tall, 4, 4, CropStyle::Torchvision);
  EXPECT_EQ(mixed.pixel(1, 0)[0], 0);           // column 1 is source column 0
  EXPECT_EQ(mixed.pixel(1, 0)[1], 2);           // round(5 / 2) = 2 (half to even)
  EXPECT_EQ(mixed.pixel(0, 0)[2], 0);           // padding
  EXPECT_EQ(center_crop(tall, 4, 4, CropStyle::HuggingFace).pixel(1, 0)[1], 2);  // 5 // 2
  EXPECT_EQ(center_crop(tall, 4, 4, CropStyle::HuggingFace).pixel(1, 0)[0], 0);
}

TEST(PreprocessCrop, RefusesEmptyCrops) {
  EXPECT_THROW(center_crop(coordinates(4, 4), 0, 2, CropStyle::HuggingFace), Error);
}

TEST(PreprocessTimm, ShorterSideSizeTruncates) {
  int w = 0, h = 0;
  shorter_side_size(451, 300, 248, w, h);
  EXPECT_EQ(w, 372);  // 248 * 451 / 300 = 372.83
  EXPECT_EQ(h, 248);
  shorter_side_size(300, 451, 248, w, h);
  EXPECT_EQ(w, 248);
  EXPECT_EQ(h, 372);
  shorter_side_size(1000, 872, 248, w, h);
  EXPECT_EQ(w, 284);
  shorter_side_size(512, 512, 248, w, h);
  EXPECT_EQ(w, 248);
  EXPECT_EQ(h, 248);
}

Image noise(int w, int h) {
  Image image(w, h);
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
  return image;
}

TEST(PreprocessTimm, SquashResizesBothSidesThenCrops) {
  PreprocessConfig c = timm_eval_defaults(32);
  c.crop_mode = TimmCropMode::Squash;
  c.resample = ResampleFilter::Bicubic;
  const Image image = noise(100, 50);
  const PreprocessStages s = preprocess_stages(image, c);
  EXPECT_EQ(s.resized, resize_image(image, 36, 36, ResampleFilter::Bicubic));  // floor(32 / 0.875)
  EXPECT_EQ(s.cropped, center_crop(s.resized, 32, 32, CropStyle::Torchvision));
  EXPECT_EQ(s.tensor.size(), 3u * 32 * 32);
}

TEST(PreprocessTimm, BorderFitsTheLongerSideAndPadsWithTheMean) {
  PreprocessConfig c = timm_eval_defaults(32);
  c.crop_mode = TimmCropMode::Border;
  c.crop_pct = 1.0;
  const Image image = noise(100, 50);
  const PreprocessStages s = preprocess_stages(image, c);
  EXPECT_EQ(s.resized, resize_image(image, 32, 16, ResampleFilter::Bilinear));
  ASSERT_EQ(s.cropped.width, 32);
  ASSERT_EQ(s.cropped.height, 32);
  // Fill round(255 * mean) = (124, 116, 104); 8 rows above, 8 below.
  for (int y : {0, 7, 24, 31}) {
    EXPECT_EQ(s.cropped.pixel(5, y)[0], 124) << y;
    EXPECT_EQ(s.cropped.pixel(5, y)[1], 116) << y;
    EXPECT_EQ(s.cropped.pixel(5, y)[2], 104) << y;
  }
  EXPECT_TRUE(std::equal(s.resized.row(0), s.resized.row(0) + s.resized.row_bytes(), s.cropped.row(8)));

  // 8x5 into 4x4: ratio 2, height round(2.5) = 2 (Python rounds halves to even), then 1 row of
  // padding on each side.
  c.input_width = c.input_height = 4;
  const PreprocessStages t = preprocess_stages(noise(8, 5), c);
  EXPECT_EQ(t.resized.width, 4);
  EXPECT_EQ(t.resized.height, 2);
  EXPECT_EQ(t.cropped.pixel(0, 0)[0], 124);
  EXPECT_EQ(t.cropped.pixel(0, 3)[0], 124);
}

TEST(PreprocessTimm, CenterWithANonSquareInputKeepsTheRatioWithBilinear) {
  // scale_size (32, 48) differs per side: timm uses ResizeKeepRatio(scale_size) without passing
  // the interpolation, so it resizes bilinear whatever the config says.
  PreprocessConfig c = timm_eval_defaults(32);
  c.input_height = 32;
  c.input_width = 48;
  c.crop_pct = 1.0;
  c.resample = ResampleFilter::Bicubic;
  const Image image = noise(100, 100);
  const PreprocessStages s = preprocess_stages(image, c);
  EXPECT_EQ(s.resized, resize_image(image, 48, 48, ResampleFilter::Bilinear));
  EXPECT_EQ(s.cropped, center_crop(s.resized, 48, 32, CropStyle::Torchvision));
}

TEST(PreprocessTimm, CropPctAboveOnePadsWithBlack) {
  PreprocessConfig c = timm_eval_defaults(32);
  c.crop_pct = 1.25;  // scale floor(32 / 1.25) = 25 < 32
  const PreprocessStages s = preprocess_stages(noise(50, 50), c);
  EXPECT_EQ(s.resized.width, 25);
  EXPECT_EQ(s.cropped.width, 32);
  EXPECT_EQ(s.cropped.pixel(0, 0)[0], 0);
  EXPECT_EQ(s.cropped.pixel(31, 31)[2], 0);
  EXPECT_EQ(s.cropped.pixel(3, 3)[0], s.resized.pixel(0, 0)[0]);  // floor(7 / 2) = 3 before
}

TEST(PreprocessHf, ResizeAndCropCanBeTurnedOff) {
  PreprocessConfig c = hf_deit_defaults();
  c.do_resize = false;
  const Image image = noise(300, 240);
  PreprocessStages s = preprocess_stages(image, c);
  EXPECT_EQ(s.resized, image);
  EXPECT_EQ(s.cropped, center_crop(image, 224, 224, CropStyle::HuggingFace));
  c.do_center_crop = false;
  c.do_normalize = false;
  c.do_rescale = false;
  s = preprocess_stages(image, c);
  ASSERT_EQ(s.tensor.size(), 3u * 300 * 240);
  EXPECT_EQ(s.tensor[0], float(image.pixels[0]));
  EXPECT_EQ(s.tensor[300 * 240 + 1], float(image.pixels[4]));  // channel 1, pixel 1
}

TEST(PreprocessHf, TensorArithmeticIsFloat64RescaleThenFloat32Normalize) {
  PreprocessConfig hf = hf_deit_defaults();
  PreprocessConfig timm = timm_eval_defaults(224);
  Image one(1, 1);
  for (int v = 0; v < 256; ++v) {
    one.pixels = {uint8_t(v), uint8_t(v), uint8_t(v)};
    const std::vector<float> a = image_to_tensor(one, hf);
    const std::vector<float> b = image_to_tensor(one, timm);
    for (int c = 0; c < 3; ++c) {
      const float x64 = static_cast<float>(v * (1.0 / 255.0));
      EXPECT_EQ(a[c], (x64 - float(hf.mean[c])) / float(hf.std[c]));
      const float x32 = static_cast<float>(v) / 255.0f;
      EXPECT_EQ(b[c], (x32 - float(timm.mean[c])) / float(timm.std[c]));
    }
  }
}

}  // namespace
}  // namespace vit

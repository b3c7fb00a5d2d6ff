// Each Hugging Face fixture folder's own preprocessor_config.json (ViT, DeiT, Bit for DINOv2,
// CLIP, SigLIP) on the photo the fixtures preprocessed: pixels_chelsea.npy, made with the
// documented steps of transformers' slow (PIL) processors.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "engine/image/image_decode.h"
#include "engine/image/preprocess.h"
#include "formats/error.h"
#include "formats/npy.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

class HfProcessors : public ::testing::TestWithParam<const char*> {};

TEST_P(HfProcessors, ThePhotoBecomesTheFixturesPixels) {
  VIT_REQUIRE_SHARED();
  const std::string folder = test::fixtures_dir() + "/hf/" + GetParam();
  const PreprocessConfig config = load_preprocess_config(folder);
  const std::vector<float> ours = preprocess(load_image(test::fixture("preprocess") + "/chelsea.png"), config);
  const NpyArray reference = read_npy(folder + "/pixels_chelsea.npy");
  const std::vector<float> expected = reference.tensor().to_float();
  ASSERT_EQ(ours.size(), expected.size());
  const std::optional<ImageSize> size = fixed_output_size(config);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(reference.shape, (std::vector<int64_t>{1, 3, size->height, size->width}));
  double max_diff = 0.0;
  for (size_t i = 0; i < ours.size(); ++i) max_diff = std::max(max_diff, std::fabs(double(ours[i]) - expected[i]));
  std::printf("[ measured ] hf/%s/pixels_chelsea.npy: max |diff| %.3g\n", GetParam(), max_diff);
  EXPECT_LE(max_diff, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Folders, HfProcessors,
                         ::testing::Values("vit_classifier", "vit_pooler", "deit_distilled", "dinov2", "clip",
                                           "siglip"));

std::string error_of(const nlohmann::json& config) {
  try {
    preprocess_config_from_json(config, "p.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(HfProcessorConfigs, EachClassTakesTheSizesTransformersGivesIt) {
  // CLIP and Bit: a number is the shortest edge; the output size then comes from the crop.
  const PreprocessConfig clip = preprocess_config_from_json({{"image_processor_type", "CLIPImageProcessor"},
                                                             {"size", 224}, {"crop_size", 224}}, "p.json");
  EXPECT_EQ(clip.resize_shortest_edge, 224);
  EXPECT_EQ(fixed_output_size(clip)->width, 224);
  // Without the crop the size depends on the image.
  const PreprocessConfig bit = preprocess_config_from_json(
      {{"image_processor_type", "BitImageProcessor"}, {"size", {{"shortest_edge", 256}}}, {"do_center_crop", false}},
      "p.json");
  EXPECT_EQ(bit.resize_shortest_edge, 256);
  EXPECT_FALSE(fixed_output_size(bit).has_value());
  // Defaults: CLIP's mean for Bit, bicubic and 224 for SigLIP.
  EXPECT_DOUBLE_EQ(hf_bit_defaults().mean[0], 0.48145466);
  EXPECT_EQ(hf_siglip_defaults().resample, ResampleFilter::Bicubic);
  EXPECT_EQ(fixed_output_size(hf_siglip_defaults())->height, 224);
}

TEST(HfProcessorConfigs, SizesAClassCannotUseAreRefusedByName) {
  EXPECT_NE(error_of({{"image_processor_type", "ViTImageProcessor"}, {"size", {{"shortest_edge", 224}}}})
                .find("p.json: \"size\": shortest_edge is not supported by this processor"),
            std::string::npos);
  EXPECT_NE(error_of({{"image_processor_type", "CLIPImageProcessor"}, {"size", {{"longest_edge", 224}}}})
                .find("\"size\": longest_edge is not supported"),
            std::string::npos);
  EXPECT_NE(error_of({{"image_processor_type", "SiglipImageProcessor"}, {"size", 224}}).find("\"size\": must be"),
            std::string::npos);
  EXPECT_NE(error_of({{"image_processor_type", "BitImageProcessor"}, {"size", {{"shortest_edge", 0}}}})
                .find("\"size\".shortest_edge: must be between 1 and 8192"),
            std::string::npos);
}

TEST(HfProcessorConfigs, RoundTripThroughJson) {
  for (const PreprocessConfig& c : {hf_bit_defaults(), hf_clip_defaults(), hf_siglip_defaults()}) {
    const nlohmann::json j = preprocess_config_to_json(c);
    EXPECT_EQ(preprocess_config_to_json(preprocess_config_from_json(j, "x")), j) << j.dump();
  }
}

}  // namespace
}  // namespace vit

// preprocessor_config.json: transformers' ViT/DeiT processors and this project's timm format.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "engine/image/preprocessor_config.h"
#include "formats/error.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

using nlohmann::json;

std::string error_of(const json& j) {
  try {
    preprocess_config_from_json(j, "cfg.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PreprocessConfig, HfVitAsTransformersWritesIt) {
  const json j = json::parse(R"({
    "do_normalize": true, "do_rescale": true, "do_resize": true,
    "image_mean": [0.5, 0.5, 0.5], "image_processor_type": "ViTImageProcessor",
    "image_std": [0.5, 0.5, 0.5], "resample": 2, "rescale_factor": 0.00392156862745098,
    "size": {"height": 384, "width": 320}})");
  const PreprocessConfig c = preprocess_config_from_json(j, "cfg.json");
  EXPECT_EQ(c.pipeline, PreprocessPipeline::HfVit);
  EXPECT_EQ(c.resize_width, 320);
  EXPECT_EQ(c.resize_height, 384);
  EXPECT_EQ(c.resample, ResampleFilter::Bilinear);
  EXPECT_FALSE(c.do_center_crop);
  EXPECT_EQ(c.rescale_factor, 1.0 / 255.0);
  EXPECT_EQ(c.mean[1], 0.5);
}

TEST(PreprocessConfig, HfDeitAndDefaults) {
  const json j = json::parse(R"({
    "crop_size": {"height": 224, "width": 224}, "do_center_crop": true,
    "image_processor_type": "DeiTImageProcessor", "resample": 3,
    "size": {"height": 256, "width": 256}})");
  const PreprocessConfig c = preprocess_config_from_json(j, "cfg.json");
  EXPECT_EQ(c.pipeline, PreprocessPipeline::HfDeit);
  EXPECT_EQ(c.resample, ResampleFilter::Bicubic);
  EXPECT_TRUE(c.do_center_crop);
  EXPECT_EQ(c.crop_width, 224);
  EXPECT_EQ(c.mean[0], 0.485);  // DeiT's default: ImageNet mean/std
  EXPECT_EQ(c.std[2], 0.225);

  // Legacy feature extractors: an int size, everything else defaulted.
  const PreprocessConfig legacy = preprocess_config_from_json(
      json::parse(R"({"feature_extractor_type": "ViTFeatureExtractor", "size": 384, "image_mean": 0.5})"), "x");
  EXPECT_EQ(legacy.pipeline, PreprocessPipeline::HfVit);
  EXPECT_EQ(legacy.resize_width, 384);
  EXPECT_EQ(legacy.resize_height, 384);
  EXPECT_EQ(legacy.resample, ResampleFilter::Bilinear);
  EXPECT_EQ(legacy.mean[2], 0.5);
}

TEST(PreprocessConfig, TimmFromPretrainedCfgKeys) {
  const json j = json::parse(R"({
    "image_processor_type": "TimmEvalTransform", "tag": "augreg_in21k_ft_in1k",
    "input_size": [3, 224, 256], "interpolation": "bicubic", "crop_pct": 0.9,
    "crop_mode": "squash", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "num_classes": 1000})");
  const PreprocessConfig c = preprocess_config_from_json(j, "cfg.json");
  EXPECT_EQ(c.pipeline, PreprocessPipeline::TimmEval);
  EXPECT_EQ(c.input_height, 224);
  EXPECT_EQ(c.input_width, 256);
  EXPECT_EQ(c.resample, ResampleFilter::Bicubic);
  EXPECT_EQ(c.crop_pct, 0.9);
  EXPECT_EQ(c.crop_mode, TimmCropMode::Squash);

  const PreprocessConfig d = preprocess_config_from_json(
      json::parse(R"({"image_processor_type": "TimmEvalTransform", "input_size": 160})"), "x");
  EXPECT_EQ(d.input_width, 160);
  EXPECT_EQ(d.crop_pct, 0.875);
  EXPECT_EQ(d.crop_mode, TimmCropMode::Center);
  EXPECT_EQ(d.resample, ResampleFilter::Bilinear);
  EXPECT_EQ(d.mean[0], 0.485);
}

TEST(PreprocessConfig, RoundTripsThroughJson) {
  PreprocessConfig timm = timm_eval_defaults(96);
  timm.crop_mode = TimmCropMode::Border;
  timm.resample = ResampleFilter::Lanczos;
  timm.crop_pct = 0.95;
  PreprocessConfig deit = hf_deit_defaults();
  deit.resample = ResampleFilter::Nearest;
  deit.rescale_factor = 0.5;
  for (const PreprocessConfig& c : {timm, deit, hf_vit_defaults()}) {
    const json j = preprocess_config_to_json(c);
    EXPECT_EQ(preprocess_config_to_json(preprocess_config_from_json(j, "x")), j) << j.dump();
  }
}

TEST(PreprocessConfig, BadDocumentsAreRefusedWithTheKeyNamed) {
  EXPECT_EQ(error_of(json::array()), "cfg.json: must be a JSON object");
  EXPECT_NE(error_of(json::object()).find("cfg.json: names no \"image_processor_type\""), std::string::npos);
  EXPECT_NE(error_of({{"image_processor_type", "ConvNextImageProcessor"}})
                .find("unsupported image_processor_type \"ConvNextImageProcessor\""),
            std::string::npos);
  const json vit = {{"image_processor_type", "ViTImageProcessor"}};
  auto with = [&](const char* key, const json& value) {
    json j = vit;
    j[key] = value;
    return error_of(j);
  };
  EXPECT_EQ(with("resample", 4), "cfg.json: \"resample\": PIL resample 4 (BOX) is not supported");
  EXPECT_NE(with("resample", 9).find("unknown PIL resample code 9"), std::string::npos);
  // 2^32 + 2 would be code 2 (bilinear) after a plain cast.
  EXPECT_EQ(with("resample", 4294967298ULL), "cfg.json: \"resample\": must be a 32-bit integer, got 4294967298");
  EXPECT_EQ(with("image_std", json::array({0.5, 0.0, 0.5})), "cfg.json: \"image_std\": must be finite and non-zero");
  EXPECT_NE(with("image_mean", json::array({0.5, 0.5})).find("a list of 3 numbers"), std::string::npos);
  EXPECT_NE(with("size", {{"shortest_edge", 224}}).find("shortest_edge"), std::string::npos);
  EXPECT_NE(with("size", {{"height", 0}, {"width", 3}}).find("must be between 1 and"), std::string::npos);
  EXPECT_NE(with("do_resize", "yes").find("\"do_resize\": must be true or false"), std::string::npos);

  const json timm = {{"image_processor_type", "TimmEvalTransform"}, {"input_size", {3, 32, 32}}};
  auto timm_with = [&](const char* key, const json& value) {
    json j = timm;
    j[key] = value;
    return error_of(j);
  };
  EXPECT_EQ(error_of({{"image_processor_type", "TimmEvalTransform"}}),
            "cfg.json: a TimmEvalTransform needs \"input_size\"");
  EXPECT_NE(timm_with("input_size", {1, 32, 32}).find("3 channels"), std::string::npos);
  EXPECT_NE(timm_with("crop_mode", "random").find("\"crop_mode\": must be"), std::string::npos);
  EXPECT_NE(timm_with("crop_pct", 0).find("\"crop_pct\""), std::string::npos);
  EXPECT_NE(timm_with("interpolation", "hamming").find("unsupported interpolation \"hamming\""), std::string::npos);
  EXPECT_NE(timm_with("crop_border_pixels", 2).find("not supported"), std::string::npos);
  EXPECT_EQ(timm_with("crop_border_pixels", 0), "");
}

TEST(PreprocessConfig, LoadsFromAModelFolder) {
  const std::string dir = test::scratch_dir("model");
  EXPECT_THROW(load_preprocess_config(dir), Error);
  std::ofstream(dir + "/preprocessor_config.json") << R"({"image_processor_type": "DeiTImageProcessor", "resample": 7})";
  try {
    load_preprocess_config(dir);
    FAIL() << "accepted resample 7";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir + "/preprocessor_config.json: \"resample\": ", 0), 0u) << e.what();
  }
  std::ofstream(dir + "/preprocessor_config.json") << preprocess_config_to_json(hf_deit_defaults()).dump();
  EXPECT_EQ(load_preprocess_config(dir).pipeline, PreprocessPipeline::HfDeit);
}

}  // namespace
}  // namespace vit

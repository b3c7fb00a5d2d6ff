// What preprocessor_config.json asks for: one of three reference pipelines and its parameters.
//
// Hugging Face processors (keys as transformers writes them; absent keys take the class's
// defaults):
//   "image_processor_type" (or legacy "feature_extractor_type"): "ViTImageProcessor" |
//     "DeiTImageProcessor" | "BitImageProcessor" (DINOv2) | "CLIPImageProcessor" |
//     "SiglipImageProcessor" (the "...FeatureExtractor" and "...Fast" names map to the same
//     PIL-exact pipeline);
//   do_resize, size {"height","width"} (or an int: square; for CLIP and Bit an int or
//   {"shortest_edge": S} resizes the short side to S and the long one to int(S * long /
//   short)), resample (PIL code: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic),
//   do_center_crop + crop_size (DeiT, CLIP, Bit; top = (H - h) // 2), do_rescale,
//   rescale_factor, do_normalize, image_mean, image_std (3 numbers or one for all channels),
//   do_convert_rgb (images are RGB already).
//
// timm's evaluation transform (transforms_imagenet_eval), a format of this project:
//   {"image_processor_type": "TimmEvalTransform",
//    "input_size": [3, H, W] | [H, W] | N      (required),
//    "interpolation": "bilinear" | "bicubic" | "nearest" | "lanczos"   (default "bilinear"),
//    "crop_pct": 0.875,                        (default 0.875, timm's DEFAULT_CROP_PCT)
//    "crop_mode": "center" | "squash" | "border"   (default "center"),
//    "mean": [3 numbers], "std": [3 numbers]   (default ImageNet's)}
//   The keys are those of timm's pretrained_cfg, so a model's cfg can be copied over.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/ops/resample_weights.h"

namespace vit {

constexpr const char* kPreprocessorFile = "preprocessor_config.json";  // in a model folder

// The Hugging Face processor classes share one pipeline (resize, optional center crop, rescale,
// normalize) and differ in defaults and accepted keys.
enum class PreprocessPipeline { HfVit, HfDeit, HfBit, HfClip, HfSiglip, TimmEval };
enum class TimmCropMode { Center, Squash, Border };

struct PreprocessConfig {
  PreprocessPipeline pipeline = PreprocessPipeline::HfVit;
  ResampleFilter resample = ResampleFilter::Bilinear;
  // As written in the JSON; normalisation casts them to float32 as both references do, and
  // timm's 'border' fill colour is round(255 * mean) from these doubles.
  std::array<double, 3> mean{0.5, 0.5, 0.5};
  std::array<double, 3> std{0.5, 0.5, 0.5};
  bool do_normalize = true;

  // Hugging Face.
  bool do_resize = true;
  int resize_width = 224, resize_height = 224;
  int resize_shortest_edge = 0;  // > 0: the short side becomes this (CLIP, Bit), instead of the above
  bool do_center_crop = false;
  int crop_width = 224, crop_height = 224;
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;

  // timm: the model input is input_width x input_height.
  int input_width = 224, input_height = 224;
  double crop_pct = 0.875;
  TimmCropMode crop_mode = TimmCropMode::Center;
};

// The defaults of transformers' ViTImageProcessor, DeiTImageProcessor, BitImageProcessor,
// CLIPImageProcessor, SiglipImageProcessor, and of timm's eval transform for a square input of
// `size` (ImageNet mean/std, bilinear, crop_pct 0.875).
PreprocessConfig hf_vit_defaults();
PreprocessConfig hf_deit_defaults();
PreprocessConfig hf_bit_defaults();
PreprocessConfig hf_clip_defaults();
PreprocessConfig hf_siglip_defaults();
PreprocessConfig timm_eval_defaults(int size);

// Parses a preprocessor_config.json document; errors read "<where>: <problem>".
PreprocessConfig preprocess_config_from_json(const nlohmann::json& json, const std::string& where);
// Reads <model_dir>/preprocessor_config.json.
PreprocessConfig load_preprocess_config(const std::string& model_dir);
// The JSON that preprocess_config_from_json reads back to the same configuration.
nlohmann::json preprocess_config_to_json(const PreprocessConfig& config);

// PIL's resample codes and timm's interpolation names.
ResampleFilter filter_from_pil_code(int code, const std::string& where);
int pil_code(ResampleFilter filter);
ResampleFilter filter_from_name(const std::string& name, const std::string& where);
const char* filter_name(ResampleFilter filter);

// The float32 value a pixel level of a channel becomes (rescaled, normalised), as both
// reference pipelines compute it in float32.
float normalized_level(uint8_t level, int channel, const PreprocessConfig& config);

}  // namespace vit

// The three reference input pipelines (HF ViT, HF DeiT, timm eval) from 8-bit RGB to float32 CHW.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/image/image.h"
#include "engine/image/preprocessor_config.h"

namespace vit {

// Where a center crop lands when the sizes differ by an odd number, and how a crop larger than
// the image is padded (d = crop - image on that axis):
// - HuggingFace (transformers image_transforms.center_crop): offset (image - crop) // 2
//   (floor); padding ceil(d / 2) before and floor(d / 2) after, with zeros.
// - Torchvision (CenterCrop, timm's CenterCropOrPad): offset round((image - crop) / 2) with
//   Python's round (halves to even); padding floor(d / 2) before and ceil(d / 2) after.
enum class CropStyle { HuggingFace, Torchvision };

// A width x height window around the centre; pixels outside the image take `fill`.
Image center_crop(const Image& image, int width, int height, CropStyle style,
                  std::array<uint8_t, 3> fill = {0, 0, 0});

// The size torchvision's Resize(shorter) gives: the shorter side becomes `shorter`, the longer
// int(shorter * long / short) (truncated).
void shorter_side_size(int in_w, int in_h, int shorter, int& out_w, int& out_h);

// Every stage of a pipeline, for tests and debugging.
struct PreprocessStages {
  Image resized;              // after the resize step (the input when nothing is resized)
  Image cropped;              // after the crop/pad step (== resized when there is none)
  std::vector<float> tensor;  // float32 [3, cropped.height, cropped.width]
};

PreprocessStages preprocess_stages(const Image& image, const PreprocessConfig& config);
// The width and height preprocess() gives every image, computed from the configuration alone;
// none when they depend on the image (a Hugging Face pipeline that neither resizes nor crops).
struct ImageSize {
  int width = 0, height = 0;
};
std::optional<ImageSize> fixed_output_size(const PreprocessConfig& config);

// The model input: float32 [3, H, W], channels first, RGB.
std::vector<float> preprocess(const Image& image, const PreprocessConfig& config);

// The last step alone: uint8 HWC to float32 CHW. HF pipelines: x * rescale_factor in float64,
// cast to float32; timm: x / 255 in float32. Then (x - mean) / std in float32.
std::vector<float> image_to_tensor(const Image& image, const PreprocessConfig& config);

}  // namespace vit

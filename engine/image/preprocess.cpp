#include "engine/image/preprocess.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>

#include "engine/image/image_decode.h"
#include "engine/image/pil_resize.h"
#include "formats/error.h"

namespace vit {

namespace {

// Python's round() of a non-negative half-integer d / 2: halves go to the even neighbour.
int half_to_even(int d) {
  const int k = d / 2;
  return (d % 2 != 0 && k % 2 != 0) ? k + 1 : k;
}

int crop_offset(int size, int crop, CropStyle style) {
  const int d = size - crop;
  if (style == CropStyle::HuggingFace) return d >= 0 ? d / 2 : -((-d + 1) / 2);  // floor(d / 2)
  return d >= 0 ? half_to_even(d) : -((-d) / 2);
}

// A size computed in double; INT_MAX stands for anything larger, which check_size refuses.
int clamped_size(double x) { return x >= INT_MAX ? INT_MAX : static_cast<int>(x); }

// Python's round(x) for the sizes computed from ratios (banker's rounding).
int python_round(double x) { return clamped_size(std::nearbyint(x)); }

// timm's ResizeKeepRatio.get_params without the random parts.
void keep_ratio_size(int in_w, int in_h, int target_w, int target_h, double longest, int& out_w,
                     int& out_h) {
  const double ratio_h = static_cast<double>(in_h) / target_h;
  const double ratio_w = static_cast<double>(in_w) / target_w;
  const double ratio = std::max(ratio_h, ratio_w) * longest + std::min(ratio_h, ratio_w) * (1.0 - longest);
  out_h = python_round(static_cast<double>(in_h) / ratio);
  out_w = python_round(static_cast<double>(in_w) / ratio);
}

// Intermediate images are bounded like decoded ones: a 60000x1 image resized so that its short
// side becomes 248 would otherwise need 15 million x 248 pixels before the crop.
void check_size(int w, int h, const char* step) {
  if (w < 1 || h < 1)
    fail("preprocess", std::string(step) + " gives an empty " + std::to_string(w) + "x" + std::to_string(h) +
                           " image");
  if (static_cast<uint64_t>(w) * static_cast<uint64_t>(h) > kDefaultMaxImagePixels)
    fail("preprocess", std::string(step) + " would make a " + std::to_string(w) + "x" + std::to_string(h) +
                           " image, over the limit of " + std::to_string(kDefaultMaxImagePixels) +
                           " pixels (the image's aspect ratio is too extreme for this processor)");
}

PreprocessStages run_hf(const Image& image, const PreprocessConfig& c) {
  int w = c.resize_width, h = c.resize_height;
  if (c.resize_shortest_edge > 0) shorter_side_size(image.width, image.height, c.resize_shortest_edge, w, h);
  if (c.do_resize) check_size(w, h, "the resize");
  PreprocessStages s;
  s.resized = c.do_resize ? resize_image(image, w, h, c.resample) : image;
  s.cropped = c.do_center_crop ? center_crop(s.resized, c.crop_width, c.crop_height, CropStyle::HuggingFace)
                               : s.resized;
  return s;
}

PreprocessStages run_timm(const Image& image, const PreprocessConfig& c) {
  // math.floor(size / crop_pct) per side, as transforms_imagenet_eval computes scale_size.
  const int scale_h = static_cast<int>(std::floor(c.input_height / c.crop_pct));
  const int scale_w = static_cast<int>(std::floor(c.input_width / c.crop_pct));
  int w = 0, h = 0;
  ResampleFilter filter = c.resample;
  std::array<uint8_t, 3> fill{0, 0, 0};
  switch (c.crop_mode) {
    case TimmCropMode::Squash:
      w = scale_w;
      h = scale_h;
      break;
    case TimmCropMode::Border:
      keep_ratio_size(image.width, image.height, scale_w, scale_h, 1.0, w, h);
      for (int ch = 0; ch < 3; ++ch)
        fill[ch] = static_cast<uint8_t>(std::clamp(python_round(255.0 * c.mean[ch]), 0, 255));
      break;
    case TimmCropMode::Center:
      if (scale_h == scale_w) {
        shorter_side_size(image.width, image.height, scale_h, w, h);
      } else {
        keep_ratio_size(image.width, image.height, scale_w, scale_h, 0.0, w, h);
        filter = ResampleFilter::Bilinear;  // timm builds this ResizeKeepRatio without passing interpolation
      }
      break;
  }
  check_size(w, h, "timm's resize");
  PreprocessStages s;
  s.resized = resize_image(image, w, h, filter);
  s.cropped = center_crop(s.resized, c.input_width, c.input_height, CropStyle::Torchvision, fill);
  return s;
}

}  // namespace

Image center_crop(const Image& image, int width, int height, CropStyle style, std::array<uint8_t, 3> fill) {
  check_size(width, height, "the center crop");
  const int left = crop_offset(image.width, width, style);
  const int top = crop_offset(image.height, height, style);
  Image out(width, height);
  for (int y = 0; y < height; ++y) {
    uint8_t* dst = out.row(y);
    const int sy = y + top;
    for (int x = 0; x < width; ++x) {
      const int sx = x + left;
      const bool inside = sy >= 0 && sy < image.height && sx >= 0 && sx < image.width;
      const uint8_t* src = inside ? image.pixel(sx, sy) : fill.data();
      std::copy(src, src + 3, dst + static_cast<size_t>(x) * 3);
    }
  }
  return out;
}

void shorter_side_size(int in_w, int in_h, int shorter, int& out_w, int& out_h) {
  const int short_side = std::min(in_w, in_h);
  const int long_side = std::max(in_w, in_h);
  // Python: int(shorter * long / short), an exact integer product then a true division.
  const int longer = clamped_size(static_cast<double>(static_cast<int64_t>(shorter) * long_side) / short_side);
  if (in_w <= in_h) {
    out_w = shorter;
    out_h = longer;
  } else {
    out_w = longer;
    out_h = shorter;
  }
}

std::vector<float> image_to_tensor(const Image& image, const PreprocessConfig& c) {
  const size_t plane = static_cast<size_t>(image.width) * image.height;
  std::vector<float> out(plane * 3);
  for (int ch = 0; ch < 3; ++ch) {
    // 256 possible inputs per channel: a table keeps the per-pixel work to one lookup.
    float table[256];
    for (int v = 0; v < 256; ++v) table[v] = normalized_level(static_cast<uint8_t>(v), ch, c);
    float* dst = out.data() + plane * ch;
    const uint8_t* src = image.pixels.data() + ch;
    for (size_t i = 0; i < plane; ++i) dst[i] = table[src[i * 3]];
  }
  return out;
}

PreprocessStages preprocess_stages(const Image& image, const PreprocessConfig& config) {
  if (image.empty()) fail("preprocess", "the image is empty");
  PreprocessStages s = config.pipeline == PreprocessPipeline::TimmEval ? run_timm(image, config)
                                                                       : run_hf(image, config);
  s.tensor = image_to_tensor(s.cropped, config);
  return s;
}

std::optional<ImageSize> fixed_output_size(const PreprocessConfig& c) {
  if (c.pipeline == PreprocessPipeline::TimmEval) return ImageSize{c.input_width, c.input_height};  // always cropped
  if (c.do_center_crop) return ImageSize{c.crop_width, c.crop_height};
  if (c.do_resize && c.resize_shortest_edge == 0) return ImageSize{c.resize_width, c.resize_height};
  return std::nullopt;
}

std::vector<float> preprocess(const Image& image, const PreprocessConfig& config) {
  return preprocess_stages(image, config).tensor;
}

}  // namespace vit

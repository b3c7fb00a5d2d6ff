#include "importer/processor_config.h"

#include <cmath>

namespace vit {

namespace {

// PIL's resampling codes, as transformers stores them.
int pil_resample(const std::string& interpolation) {
  if (interpolation == "nearest") return 0;
  if (interpolation == "lanczos") return 1;
  if (interpolation == "bilinear") return 2;
  return 3;  // bicubic, timm's default
}

}  // namespace

nlohmann::json hf_processor_config(const ResolvedArchitecture& r) {
  const VitConfig& c = r.config;
  const TimmPretrainedCfg& cfg = r.args.pretrained_cfg;
  const bool deit = r.args.hf_image_processor ? *r.args.hf_image_processor == "DeiTImageProcessor"
                                              : r.name.find("deit") != std::string::npos;
  const std::vector<double> imagenet_mean = {0.485, 0.456, 0.406}, imagenet_std = {0.229, 0.224, 0.225};
  // The seed keeps each processor's defaults: 0.5 for ViT, ImageNet statistics for DeiT.
  const std::vector<double> mean = cfg.mean.value_or(deit ? imagenet_mean : std::vector<double>{0.5, 0.5, 0.5});
  const std::vector<double> std = cfg.std.value_or(deit ? imagenet_std : std::vector<double>{0.5, 0.5, 0.5});
  nlohmann::json j;
  j["image_processor_type"] = deit ? "DeiTImageProcessor" : "ViTImageProcessor";
  j["do_resize"] = true;
  j["do_rescale"] = true;
  j["rescale_factor"] = 1.0 / 255.0;
  j["do_normalize"] = true;
  j["image_mean"] = mean;
  j["image_std"] = std;
  j["resample"] = pil_resample(cfg.interpolation.value_or(deit ? "bicubic" : "bilinear"));
  if (deit) {
    // timm's eval transform: resize to size / crop_pct, then center-crop to the model size.
    const double crop_pct = cfg.crop_pct.value_or(0.875);
    j["size"] = {{"height", static_cast<int>(std::floor(c.image_height / crop_pct))},
                 {"width", static_cast<int>(std::floor(c.image_width / crop_pct))}};
    j["do_center_crop"] = true;
    j["crop_size"] = {{"height", c.image_height}, {"width", c.image_width}};
  } else {
    j["size"] = {{"height", c.image_height}, {"width", c.image_width}};
  }
  return j;
}

}  // namespace vit

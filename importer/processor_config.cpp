#include "importer/processor_config.h"

#include <cmath>

#include "engine/image/preprocessor_config.h"
#include "formats/error.h"

namespace vit {

namespace {

using Channels = decltype(PreprocessConfig::mean);

Channels channels(const std::optional<std::vector<double>>& values, Channels fallback) {
  if (!values || values->size() != 3) return fallback;
  return {(*values)[0], (*values)[1], (*values)[2]};
}

}  // namespace

nlohmann::json processor_config(const ResolvedArchitecture& r, ProcessorChoice choice) {
  const VitConfig& c = r.config;
  const TimmPretrainedCfg& cfg = r.args.pretrained_cfg;
  const bool deit = r.args.hf_image_processor ? *r.args.hf_image_processor == "DeiTImageProcessor"
                                              : r.name.find("deit") != std::string::npos;
  PreprocessConfig p = choice == ProcessorChoice::Timm ? timm_eval_defaults(c.image_height)
                       : deit                          ? hf_deit_defaults()
                                                       : hf_vit_defaults();
  // Each processor's own defaults stand where timm's pretrained_cfg says nothing.
  p.mean = channels(cfg.mean, p.mean);
  p.std = channels(cfg.std, p.std);
  if (cfg.interpolation) p.resample = filter_from_name(*cfg.interpolation, "pretrained_cfg.interpolation");
  const double crop_pct = cfg.crop_pct.value_or(choice == ProcessorChoice::Timm ? p.crop_pct : 0.875);
  if (choice == ProcessorChoice::Timm) {
    p.input_height = c.image_height;
    p.input_width = c.image_width;
    p.crop_pct = crop_pct;
    const std::string mode = cfg.crop_mode.value_or("center");
    if (mode == "center") p.crop_mode = TimmCropMode::Center;
    else if (mode == "squash") p.crop_mode = TimmCropMode::Squash;
    else if (mode == "border") p.crop_mode = TimmCropMode::Border;
    else fail("pretrained_cfg", "unknown crop_mode \"" + mode + "\"");
  } else if (deit) {
    // timm's eval transform: resize to size / crop_pct, then center-crop to the model size.
    p.resize_height = static_cast<int>(std::floor(c.image_height / crop_pct));
    p.resize_width = static_cast<int>(std::floor(c.image_width / crop_pct));
    p.do_center_crop = true;
    p.crop_height = c.image_height;
    p.crop_width = c.image_width;
  } else {
    p.resize_height = c.image_height;
    p.resize_width = c.image_width;
  }
  return preprocess_config_to_json(p);
}

}  // namespace vit

// preprocessor_config.json for the converted folder.
// - hf (the default, the seed's choice): DeiTImageProcessor for deit names, ViTImageProcessor
//   otherwise, with timm's pretrained_cfg values (mean, std, interpolation, crop) where known.
// - timm: timm's own eval transform (resize the shorter side to size / crop_pct, center crop,
//   crop_mode) from pretrained_cfg, as engine/image/preprocessor_config.h defines it.
#pragma once
#include <nlohmann/json.hpp>

#include "importer/architecture.h"

namespace vit {

enum class ProcessorChoice { Hf, Timm };

nlohmann::json processor_config(const ResolvedArchitecture& architecture, ProcessorChoice choice);

}  // namespace vit

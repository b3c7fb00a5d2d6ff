// preprocessor_config.json for the converted folder: the seed's processor choice
// (DeiTImageProcessor for deit names, ViTImageProcessor otherwise) with timm's
// pretrained_cfg values (mean, std, interpolation, crop) where they are known.
#pragma once
#include <nlohmann/json.hpp>

#include "importer/architecture.h"

namespace vit {

nlohmann::json hf_processor_config(const ResolvedArchitecture& architecture);

}  // namespace vit

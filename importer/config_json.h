// The config.json a model folder gets: transformers' ViTConfig ("model_type": "vit") when
// transformers' ViT can express the model, the engine's own "vitcpp" form otherwise. Both are
// read back by config_from_json (engine/model/vit_config.h).
#pragma once
#include <nlohmann/json.hpp>

#include "engine/model/vit_config.h"

namespace vit {

nlohmann::json config_to_json(const VitConfig& config);

}  // namespace vit

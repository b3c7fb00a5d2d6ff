// The standard timm ViT shapes, as configs, so vitbench can run them without files.
#pragma once
#include <string>

#include "engine/model/vit_config.h"

namespace vit {

// "vit_{tiny,small,base,large}_patch16_224": patch 16, 224x224, class token, token pooling,
// MLP 4x, exact GELU, eps 1e-6, 1000 classes; or a config.json file (any family the engine
// loads, e.g. bench/configs/). Throws Error for other names.
VitConfig arch_config(const std::string& name);

}  // namespace vit

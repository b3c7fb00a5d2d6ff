// Why transformers' ViTForImageClassification / ViTModel cannot express a model: the Python
// conversion script's checks, in its order and with its reasons, plus what it misses.
#pragma once
#include <string>
#include <vector>

#include "engine/model/vit_config.h"

namespace vit {

// Empty when transformers' ViT can load the model unchanged. `name` is the timm
// architecture name (the script's "clip"/"siglip" checks look at it).
std::vector<std::string> hf_incompatibilities(const std::string& name, const VitConfig& config);

}  // namespace vit

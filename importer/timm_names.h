// Renames a timm ViT state dict to the engine's tensor names (the HF ViT names where they
// exist) and splits the fused qkv / kv projections.
#pragma once
#include "engine/model/vit_config.h"
#include "importer/named_tensors.h"

namespace vit {

// Every source tensor is either mapped or reported: an unknown name is an error naming it.
// The result has exactly the names of weight_slots(config) when the config matches the weights.
FloatTensors rename_timm_tensors(const SourceTensors& timm, const VitConfig& config, const std::string& where);

}  // namespace vit

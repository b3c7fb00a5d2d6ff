// A Hugging Face transformers folder (ViT, DeiT, DINOv2, CLIP, SigLIP) as vitimport's input:
// its config and weights as the engine reads them, and its own image processor.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/model/vit_config.h"
#include "importer/named_tensors.h"

namespace vit {

// A folder whose config.json names a "model_type" (timm hub folders' config.json has none).
bool is_transformers_folder(const std::string& path);

struct TransformersSource {
  std::string weights_path;  // the weights file (an index for sharded weights)
  std::string kind;          // "<model_type> <architecture>", for the log
  VitConfig config;
  FloatTensors tensors;  // under the engine's names
  std::optional<nlohmann::json> preprocessor;  // the folder's preprocessor_config.json, if any
};

// Errors name the file at fault (an unsupported config field, a missing tensor, ...).
TransformersSource open_transformers_folder(const std::string& dir);

}  // namespace vit

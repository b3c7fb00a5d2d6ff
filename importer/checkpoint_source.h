// Opens what timm users have: a hub folder, a bare weights file, or a training checkpoint.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "importer/named_tensors.h"

namespace vit {

struct SourceOptions {
  bool use_ema = true;  // like timm's load_checkpoint: prefer state_dict_ema / model_ema
};

struct CheckpointSource {
  std::string weights_path;                 // the file the tensors came from
  SourceTensors tensors;                    // "module." stripped
  std::optional<nlohmann::json> timm_config;  // config.json of a timm hub folder
  std::string config_path;
  std::string arch;                         // a training checkpoint's 'arch' (or args.model)
  std::optional<nlohmann::json> arch_kwargs;  // a training checkpoint's args.model_kwargs
  std::string selection;                    // which part of the file was used, for the user
  std::vector<std::string> notes;           // things skipped, said to the user
};

// `path` is a folder (config.json + model.safetensors or pytorch_model.bin) or a file
// (.safetensors, or any torch.save file: .bin/.pth/.pth.tar/...). Errors name the file.
CheckpointSource open_checkpoint(const std::string& path, const SourceOptions& options);

// The weights file of a hub folder: model.safetensors, pytorch_model.bin or
// open_clip_pytorch_model.bin, in that order; throws Error(dir: ...) when there is none.
std::string find_weights_in_folder(const std::string& dir);

}  // namespace vit

// Decides a checkpoint's architecture from its weights, timm's config.json, the registry of
// timm names and the user's overrides, refusing conflicts instead of guessing.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/model/vit_config.h"
#include "importer/architecture_registry.h"
#include "importer/state_dict_facts.h"

namespace vit {

// Explicit command-line values; each must agree with config.json / model_args where those
// state the same thing, and wins over the registry's defaults for a named architecture.
struct ArchitectureOverrides {
  std::optional<int> num_heads;
  std::optional<double> layer_norm_eps;
  std::optional<int> image_size;
  std::optional<std::string> global_pool;
  std::optional<std::string> act_layer;
};

struct ArchitectureInputs {
  std::optional<nlohmann::json> timm_config;  // config.json of the folder, or --timm-config
  std::string timm_config_path;
  std::string vit_name;                       // --vit_name
  std::string checkpoint_arch;                // a training checkpoint's 'arch'
  std::optional<nlohmann::json> checkpoint_model_kwargs;
  ArchitectureOverrides overrides;
};

struct ResolvedArchitecture {
  std::string name;    // timm architecture name ("" when unknown)
  TimmArchArgs args;   // timm's view, including pretrained_cfg
  VitConfig config;    // what the engine runs
  std::vector<std::string> notes;
};

ResolvedArchitecture resolve_architecture(const StateDictFacts& facts, const ArchitectureInputs& inputs,
                                          const std::string& where);

}  // namespace vit

// Writes a converted model folder atomically: everything goes into a temporary folder beside
// the target, is checked, and only then renamed into place.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/model/vit_config.h"
#include "importer/int8_export.h"
#include "importer/named_tensors.h"

namespace vit {

struct FolderContents {
  VitConfig config;
  const FloatTensors* tensors;  // exactly the engine's tensor names for config
  nlohmann::json preprocessor;
  std::map<std::string, std::string> metadata;  // extra safetensors __metadata__
  const Int8Matrices* int8 = nullptr;           // matrices stored as I8 + "<name>_scale"
};

// Refuses an output that would destroy an input: `target` that is, contains or lies inside one
// of `inputs` (files or folders, compared as canonical paths; empty entries are skipped). Also
// refuses an existing non-empty folder that is not a model folder (config.json +
// model.safetensors) unless `any_folder`. Throws Error naming `target`.
void check_output_folder(const std::string& target, const std::vector<std::string>& inputs, bool any_folder);

// Refuses an existing target unless `overwrite`. `check(temp_dir)` runs on the complete
// temporary folder before the rename and may throw to abandon it.
void write_model_folder(const std::string& target, const FolderContents& contents, bool overwrite,
                        const std::function<void(const std::string&)>& check);

}  // namespace vit

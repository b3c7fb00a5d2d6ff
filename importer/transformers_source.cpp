#include "importer/transformers_source.h"

#include <filesystem>

#include "engine/image/preprocessor_config.h"
#include "engine/model/model_folder.h"
#include "engine/model/weight_files.h"
#include "formats/json_file.h"

namespace vit {

namespace {

std::string kind_of(const nlohmann::json& config) {
  std::string kind = config.value("model_type", "");
  const auto arch = config.find("architectures");
  if (arch != config.end() && arch->is_array() && !arch->empty() && (*arch)[0].is_string())
    kind += " " + (*arch)[0].get<std::string>();
  return kind;
}

}  // namespace

bool is_transformers_folder(const std::string& path) {
  const std::string config_path = path + "/" + kConfigFile;
  if (!std::filesystem::is_directory(path) || !std::filesystem::is_regular_file(config_path)) return false;
  const nlohmann::json config = read_json_file(config_path);
  return config.is_object() && config.contains("model_type");
}

TransformersSource open_transformers_folder(const std::string& dir) {
  const std::string config_path = dir + "/" + kConfigFile;
  const nlohmann::json config_json = read_json_file(config_path);
  TransformersSource source;
  source.kind = kind_of(config_json);
  source.config = config_from_json(config_json, config_path);
  source.weights_path = weight_file_paths(dir).front();
  for (const auto& [name, tensor] : engine_tensors(dir, &source.config, MapPages::Populate))
    source.tensors[name] = {tensor.shape, tensor.to_float()};
  const std::string processor_path = dir + "/" + kPreprocessorFile;
  if (std::filesystem::exists(processor_path)) {
    source.preprocessor = read_json_file(processor_path);
    preprocess_config_from_json(*source.preprocessor, processor_path);  // refuse what vitrun could not run
  }
  return source;
}

}  // namespace vit

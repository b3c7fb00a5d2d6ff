#include "engine/model_folder.h"

#include "formats/json_file.h"
#include "formats/safetensors.h"

namespace vit {

VitModel load_model(const std::string& dir, Precision precision) {
  const std::string config_path = dir + "/" + kConfigFile;
  const std::string weights_path = dir + "/" + kWeightsFile;
  VitConfig config = config_from_json(read_json_file(config_path), config_path);
  VitWeights weights;
  {
    // Unmapped before packing, so loading never holds the file, the floats and the packed
    // weights at once.
    SafetensorsFile file = SafetensorsFile::open(weights_path);
    std::vector<std::string> names;
    for (const auto& entry : file.tensors()) names.push_back(entry.first);
    weights = load_weights(config, [&](const std::string& name) { return file.find(name); }, names, weights_path);
  }
  return VitModel(std::move(config), std::move(weights), precision);
}

}  // namespace vit

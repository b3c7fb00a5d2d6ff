// The on-disk model folder: config.json + model.safetensors (+ preprocessor_config.json).
#pragma once
#include <string>

#include "engine/vit_model.h"

namespace vit {

constexpr const char* kConfigFile = "config.json";
constexpr const char* kWeightsFile = "model.safetensors";
constexpr const char* kPreprocessorFile = "preprocessor_config.json";

// Reads <dir>/config.json and <dir>/model.safetensors; errors name the file at fault.
VitModel load_model(const std::string& dir, Precision precision = Precision::F32);

}  // namespace vit

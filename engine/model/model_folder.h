// The on-disk model folder: config.json + model.safetensors (+ preprocessor_config.json).
#pragma once
#include <optional>
#include <string>

#include "engine/model/vit_model.h"

namespace vit {

constexpr const char* kConfigFile = "config.json";
constexpr const char* kWeightsFile = "model.safetensors";

// Reads <dir>/config.json and <dir>/model.safetensors; errors name the file at fault. Without
// a precision, int8 folders run in int8 and the rest in float32. With a packed_cache_dir, the
// packed weights are kept there between runs (packed_cache.h): later loads map them instead of
// packing again.
VitModel load_model(const std::string& dir, std::optional<Precision> precision = std::nullopt,
                    const std::string& packed_cache_dir = "");

}  // namespace vit

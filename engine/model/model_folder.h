// The on-disk model folder: config.json + model.safetensors (+ preprocessor_config.json).
#pragma once
#include <map>
#include <optional>
#include <string>

#include "engine/model/vit_model.h"
#include "formats/mapped_file.h"

namespace vit {

constexpr const char* kConfigFile = "config.json";
constexpr const char* kWeightsFile = "model.safetensors";

// The folder's weights (weight_files.h) under the engine's tensor names (tensor_naming.h),
// viewing the mapped files. A ViT/DeiT pooler stored there is added to *config. `where` in
// errors: the weights file.
std::map<std::string, StoredTensor> engine_tensors(const std::string& dir, VitConfig* config, MapPages pages);

// Reads <dir>/config.json (this engine's format, or a transformers ViT, DeiT, DINOv2, CLIP or
// SigLIP config) and the weights (model.safetensors, sharded safetensors, or
// pytorch_model.bin); errors name the file at fault. Without
// a precision, int8 folders run in int8 and the rest in float32. With a packed_cache_dir, the
// packed weights are kept there between runs (packed_cache.h): later loads map them instead of
// packing again.
VitModel load_model(const std::string& dir, std::optional<Precision> precision = std::nullopt,
                    const std::string& packed_cache_dir = "", const LoadProgress& progress = {});

}  // namespace vit

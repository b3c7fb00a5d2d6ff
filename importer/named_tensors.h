// A checkpoint's tensors by name, as the importer passes them between steps.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "formats/stored_tensor.h"

namespace vit {

// Source tensors keep the file's dtype and layout (views into the mapped checkpoint).
using SourceTensors = std::map<std::string, StoredTensor>;

// Converted tensors: float32, contiguous, with their shape.
struct FloatTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};
using FloatTensors = std::map<std::string, FloatTensor>;

}  // namespace vit

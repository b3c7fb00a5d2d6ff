// `vitimport --dtype int8`: the block matrices an int8 model runs in int8, stored as int8 with
// one float32 scale per row (the same quantization the engine applies at load).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/model/vit_config.h"
#include "importer/named_tensors.h"

namespace vit {

struct Int8Matrix {
  std::vector<int64_t> shape;  // [rows, cols]
  std::vector<int8_t> values;
  std::vector<float> scales;  // [rows]
};
using Int8Matrices = std::map<std::string, Int8Matrix>;

// Moves every int8_storable matrix out of `tensors` and returns it quantized.
Int8Matrices quantize_storable_matrices(const VitConfig& config, FloatTensors* tensors);

// Read-only views of float32 tensors plus int8 matrices and their "<name>_scale" tensors, as
// load_weights takes them (they point into the arguments, which must outlive them).
std::map<std::string, StoredTensor> tensor_views(const FloatTensors& tensors, const Int8Matrices& int8);

// The smallest cosine similarity between matching rows of two [rows, n] arrays.
double min_row_cosine(const std::vector<float>& a, const std::vector<float>& b, int rows);

}  // namespace vit

// A tensor as a file stores it: element type, shape, strides and offset into a byte storage.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "byte_view.h"
#include "dtype.h"

namespace vit {

struct StoredTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // in elements, one per dim; C-contiguous strides if contiguous
  int64_t offset = 0;            // in elements, into storage
  ByteView storage;              // little-endian element bytes the tensor indexes into

  int64_t numel() const;
  bool is_contiguous() const;
  // Throws Error(where: ...) unless every element the tensor addresses lies inside storage.
  void validate(const std::string& where) const;
  // All elements in row-major order, converted to float32 (exact for f16/bf16/f32; rounded
  // for f64 and large ints). Works for any strides.
  std::vector<float> to_float() const;
  std::string shape_string() const;  // e.g. "[2, 3]"
};

// C-contiguous strides for a shape.
std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape);

}  // namespace vit

// NumPy .npy arrays: strict reading (versions 1-3, little-endian numeric dtypes) and writing.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "byte_view.h"
#include "dtype.h"
#include "stored_tensor.h"

namespace vit {

constexpr size_t kMaxNpyHeaderBytes = 65536;

struct NpyArray {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  bool fortran_order = false;
  ByteView data;  // exactly product(shape) * itemsize bytes

  // A view of the data; Fortran order gives Fortran (column-major) strides.
  StoredTensor tensor() const;
};

// Parses a whole .npy file image. Refuses big-endian, object and structured dtypes, malformed
// or oversized headers, and data whose length is not exactly product(shape) * itemsize.
// Errors read "<where>: ...".
NpyArray parse_npy(ByteView bytes, const std::string& where);
// Maps `path` and parses it; the array's data points into the mapping (zero-copy).
NpyArray read_npy(const std::string& path);
// Writes a C-order array: version 1.0 header padded like numpy's so the data starts at a
// multiple of 64 bytes; atomically. `data` holds product(shape) * dtype_size(dtype) bytes.
// BF16 has no .npy spelling and is refused.
void write_npy(const std::string& path, DType dtype, const std::vector<int64_t>& shape, const void* data);

}  // namespace vit

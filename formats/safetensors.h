// safetensors files: strict zero-copy reading (validated like the reference implementation)
// and deterministic atomic writing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "byte_view.h"
#include "dtype.h"
#include "stored_tensor.h"

namespace vit {

struct SafetensorsLimits {
  uint64_t max_header_bytes = 100'000'000;  // the reference implementation's limit
  size_t max_tensors = size_t{1} << 20;
  size_t max_rank = 8;
};

class SafetensorsFile {
 public:
  // Maps `path` and parses it; tensors point into the mapping.
  static SafetensorsFile open(const std::string& path, const SafetensorsLimits& limits = {});
  // Validates the header and the layout of the data buffer (sorted data_offsets must cover it
  // exactly, with no holes, overlaps or trailing bytes). Throws Error("<where>: ...").
  static SafetensorsFile parse(ByteView file, const std::string& where, const SafetensorsLimits& limits = {});

  // In data-offset order (name order for files this project writes).
  const std::vector<std::pair<std::string, StoredTensor>>& tensors() const { return tensors_; }
  const StoredTensor* find(const std::string& name) const;  // nullptr when absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::vector<std::pair<std::string, StoredTensor>> tensors_;
  std::unordered_map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // little-endian, C order
  size_t bytes = 0;            // must equal product(shape) * dtype_size(dtype)
};

// Writes a safetensors file atomically and deterministically: header keys sorted by name
// (`__metadata__` included when non-empty), data laid out in that order, header padded with
// spaces so the data starts at a multiple of `data_alignment` bytes (a multiple of 8). Refuses
// duplicate or reserved names, sizes that disagree with shape x dtype, ranks over the reader's
// default limit, and names that are not UTF-8.
void write_safetensors(const std::string& path, std::vector<SafetensorsEntry> entries,
                       const std::map<std::string, std::string>& metadata = {}, size_t data_alignment = 8);

}  // namespace vit

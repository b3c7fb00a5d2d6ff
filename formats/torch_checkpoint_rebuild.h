// The torch-specific parts of a checkpoint pickle: persistent storage ids and the calls that
// rebuild tensors from storages. Shared by the zip and the legacy loaders.
#pragma once
#include <cstdint>
#include <string>

#include "dtype.h"
#include "pickle_value.h"

namespace vit {

// ('storage', <torch.XStorage>, key, location, numel[, view_metadata]).
struct StorageRef {
  std::string key;
  DType dtype = DType::U8;
  int64_t numel = 0;
  std::string location;
  PickleValue view_metadata;  // legacy only: None or (view_key, offset, size)
};

// The element type of a storage class global such as torch.HalfStorage; false when unknown.
bool storage_class_dtype(const std::string& qualified_name, DType* dtype);
StorageRef parse_storage_id(const PickleValue& pid, const std::string& where);

// A 1-D Storage value over `bytes` (already exactly numel * itemsize long).
PickleValue make_storage(PickleBuilder& b, DType dtype, ByteView bytes);

// The call handler for GlobalRole::Torch globals: _rebuild_tensor(_v2), _rebuild_parameter
// (_with_state), _rebuild_from_type_v2 and torch.Size. Storage classes, torch.Tensor and
// Parameter themselves cannot be called.
PickleValue call_torch_global(PickleBuilder& b, const PickleValue& callable, const PickleValue& args,
                              const std::string& where);

}  // namespace vit

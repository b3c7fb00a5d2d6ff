// Loads files written by torch.save: the zip format (PyTorch >= 1.6) and the legacy stream.
//
// The pickle is read by the restricted unpickler (pickle_reader.h); tensors become Tensor
// values whose storages are zero-copy views of the mapped file (stored zip entries and the
// legacy data section), shared by every tensor that shares a storage.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "byte_view.h"
#include "pickle_reader.h"
#include "pickle_value.h"
#include "stored_tensor.h"

namespace vit {

struct TorchLoadOptions {
  PickleLimits limits;
  // Record refused globals in TorchCheckpoint::refused_globals instead of failing.
  bool scan = false;
};

struct TorchCheckpoint {
  PickleValue value;
  std::string format;  // "zip" or "legacy"
  std::string prefix;  // zip: the archive's top-level folder
  std::vector<std::string> refused_globals;  // scan mode only
};

TorchCheckpoint read_torch_checkpoint(ByteView bytes, const std::string& where,
                                      const TorchLoadOptions& options = {});
TorchCheckpoint read_torch_checkpoint(const std::string& path, const TorchLoadOptions& options = {});

PickleValue load_torch_checkpoint(const std::string& path, const PickleLimits& limits = {});
PickleValue load_torch_checkpoint(ByteView bytes, const std::string& where, const PickleLimits& limits = {});

// The str-keyed Tensor entries of a Dict, in order (other entries are skipped).
std::vector<std::pair<std::string, StoredTensor>> tensor_entries(const PickleValue& dict,
                                                                 const std::string& where = {});

}  // namespace vit

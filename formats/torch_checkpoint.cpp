#include "torch_checkpoint.h"

#include "error.h"
#include "legacy_torch.h"
#include "mapped_file.h"
#include "torch_checkpoint_zip.h"
#include "zip_reader.h"

namespace vit {

TorchCheckpoint read_torch_checkpoint(ByteView bytes, const std::string& where, const TorchLoadOptions& options) {
  if (looks_like_zip(bytes)) return read_torch_zip(bytes, where, options);
  if (looks_like_legacy_torch(bytes)) return read_legacy_torch(bytes, where, options);
  fail(where, "not a torch.save file (neither a zip archive nor a legacy pickle)");
}

TorchCheckpoint read_torch_checkpoint(const std::string& path, const TorchLoadOptions& options) {
  return read_torch_checkpoint(map_file(path), path, options);
}

PickleValue load_torch_checkpoint(const std::string& path, const PickleLimits& limits) {
  TorchLoadOptions options;
  options.limits = limits;
  return read_torch_checkpoint(path, options).value;
}

PickleValue load_torch_checkpoint(ByteView bytes, const std::string& where, const PickleLimits& limits) {
  TorchLoadOptions options;
  options.limits = limits;
  return read_torch_checkpoint(std::move(bytes), where, options).value;
}

std::vector<std::pair<std::string, StoredTensor>> tensor_entries(const PickleValue& dict, const std::string& where) {
  std::vector<std::pair<std::string, StoredTensor>> out;
  for (const auto& [key, value] : dict.entries(where))
    if (key.is_str() && value.is_tensor()) out.emplace_back(key.as_str(), value.tensor());
  return out;
}

}  // namespace vit

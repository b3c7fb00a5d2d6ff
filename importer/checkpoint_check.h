// vitimport --check: what a checkpoint holds and what about it looks wrong, without converting
// anything. torch.save files are read in scan mode, so a global the loader refuses is listed
// by name instead of ending the read; nothing in the file is ever executed.
#pragma once
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "formats/byte_view.h"

namespace vit {

struct CheckReport {
  std::string path;
  std::string format;                    // "torch.save zip", "torch.save legacy" or "safetensors"
  uint64_t file_bytes = 0;
  size_t tensor_count = 0;               // distinct tensors anywhere in the file
  std::map<std::string, size_t> dtypes;  // dtype name -> number of tensors
  uint64_t tensor_bytes = 0;             // sum of numel * itemsize over them (saturating)
  std::vector<std::string> top_level_keys;
  std::vector<std::string> structure;    // one line per non-tensor value, "path: description"
  std::vector<std::string> suspicious;   // one line per finding
  bool clean() const { return suspicious.empty(); }
};

// `path` is a checkpoint file or a hub folder (its model.safetensors or pytorch_model.bin).
// Throws Error when the file cannot be read at all (vitimport exits 2).
CheckReport check_checkpoint(const std::string& path);
// The same for bytes in memory; the format is told from the content.
CheckReport check_checkpoint_bytes(const ByteView& bytes, const std::string& where);

void print_check_report(const CheckReport& report, std::ostream& out);

}  // namespace vit

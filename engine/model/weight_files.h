// The weights of a model folder, in whichever of transformers' layouts it has: model.safetensors,
// a sharded model.safetensors.index.json, pytorch_model.bin (read by the restricted unpickler),
// or a sharded pytorch_model.bin.index.json. The first one present wins, in that order.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "formats/mapped_file.h"
#include "formats/stored_tensor.h"

namespace vit {

struct WeightFiles {
  std::vector<std::string> paths;  // the files read (an index and its shards, or the one file)
  std::vector<std::pair<std::string, StoredTensor>> tensors;  // views into the mapped files
};

// Errors name the file at fault: none of the layouts present, a shard outside the folder, a
// tensor listed in an index but not in its shard, a name in two shards, a pickle that is not a
// flat dict of tensors.
WeightFiles read_weight_files(const std::string& dir, MapPages pages);

// The files read_weight_files reads: the first layout present, then an index's shards (sorted).
// Error when the folder has none of the layouts or an index names a shard outside the folder.
std::vector<std::string> weight_file_paths(const std::string& dir);

}  // namespace vit

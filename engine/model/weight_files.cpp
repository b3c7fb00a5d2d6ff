#include "engine/model/weight_files.h"

#include <sys/stat.h>

#include <map>
#include <set>

#include "formats/error.h"
#include "formats/json_file.h"
#include "formats/safetensors.h"
#include "formats/text.h"
#include "formats/torch_checkpoint.h"

namespace vit {

namespace {

using Tensors = std::vector<std::pair<std::string, StoredTensor>>;

constexpr const char* kLayouts[] = {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                                    "pytorch_model.bin.index.json"};

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Tensors read_safetensors(const std::string& path, MapPages pages) {
  return SafetensorsFile::parse(map_file(path, pages), path).tensors();
}

// transformers saves a flat dict of name -> tensor.
Tensors read_pickled_state_dict(const std::string& path) {
  const PickleValue value = load_torch_checkpoint(path);
  if (!value.is_dict()) fail(path, "does not hold a dict of tensors (a state_dict)");
  Tensors tensors = tensor_entries(value, path);
  if (tensors.size() != value.entries(path).size()) fail(path, "holds entries that are not named tensors");
  return tensors;
}

Tensors read_one_file(const std::string& path, MapPages pages) {
  return ends_with(path, ".safetensors") ? read_safetensors(path, pages) : read_pickled_state_dict(path);
}

// weight_map of an index: tensor name -> shard file name (a plain name in the same folder).
std::map<std::string, std::string> shard_map(const std::string& index_path) {
  const nlohmann::json index = read_json_file(index_path);
  const auto it = index.find("weight_map");
  if (it == index.end() || !it->is_object() || it->empty()) fail(index_path, "has no \"weight_map\" object");
  const std::string shard_suffix = ends_with(index_path, ".safetensors.index.json") ? ".safetensors" : ".bin";
  std::map<std::string, std::string> shards;
  for (const auto& [name, file] : it->items()) {
    if (!file.is_string()) fail(index_path, "weight_map values must be file names");
    const std::string shard = file.get<std::string>();
    if (shard.find('/') != std::string::npos || shard.find('\\') != std::string::npos || shard.empty() ||
        shard[0] == '.' || !ends_with(shard, shard_suffix))
      fail(index_path, "shard \"" + shard + "\" is not a " + shard_suffix + " file in the folder");
    shards[name] = shard;
  }
  return shards;
}

// Every shard's tensors, each exactly where the index puts it.
Tensors read_sharded(const std::string& dir, const std::string& index_path, MapPages pages) {
  const std::map<std::string, std::string> shards = shard_map(index_path);
  std::set<std::string> shard_names;
  for (const auto& entry : shards) shard_names.insert(entry.second);
  Tensors all;
  std::set<std::string> seen;
  for (const std::string& shard : shard_names) {
    const std::string path = dir + "/" + shard;
    for (auto& [name, tensor] : read_one_file(path, pages)) {
      const auto listed = shards.find(name);
      if (listed == shards.end() || listed->second != shard)
        fail(path, "holds tensor \"" + name + "\", which " + index_path + " does not place in this shard");
      seen.insert(name);
      all.emplace_back(name, std::move(tensor));
    }
  }
  for (const auto& [name, shard] : shards)
    if (!seen.count(name)) fail(dir + "/" + shard, "lacks tensor \"" + name + "\" that " + index_path + " lists");
  return all;
}

// The weights file of the first layout present, or "" when none is.
std::string entry_path(const std::string& dir) {
  for (const char* layout : kLayouts)
    if (exists(dir + "/" + layout)) return dir + "/" + layout;
  return "";
}

}  // namespace

std::vector<std::string> weight_file_paths(const std::string& dir) {
  const std::string entry = entry_path(dir);
  if (entry.empty())
    fail(dir, "has no weights (model.safetensors, model.safetensors.index.json, pytorch_model.bin or "
              "pytorch_model.bin.index.json)");
  std::vector<std::string> paths = {entry};
  if (!ends_with(entry, ".index.json")) return paths;
  std::set<std::string> shards;
  for (const auto& entry_shard : shard_map(entry)) shards.insert(entry_shard.second);
  for (const std::string& shard : shards) paths.push_back(dir + "/" + shard);
  return paths;
}

WeightFiles read_weight_files(const std::string& dir, MapPages pages) {
  WeightFiles files;
  files.paths = weight_file_paths(dir);
  const std::string& entry = files.paths.front();
  files.tensors = ends_with(entry, ".index.json") ? read_sharded(dir, entry, pages) : read_one_file(entry, pages);
  return files;
}

}  // namespace vit

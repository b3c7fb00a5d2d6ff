#include "importer/checkpoint_source.h"

#include <filesystem>

#include "formats/error.h"
#include "formats/json_file.h"
#include "formats/quoted_name.h"
#include "formats/safetensors.h"
#include "formats/torch_checkpoint.h"
#include "formats/text.h"

namespace fs = std::filesystem;

namespace vit {

namespace {

std::string strip_module_prefix(const std::string& name) {
  return starts_with(name, "module.") ? name.substr(7) : name;
}

void add_tensor(CheckpointSource* source, const std::string& raw_name, const StoredTensor& tensor) {
  const std::string name = strip_module_prefix(raw_name);
  if (!source->tensors.emplace(name, tensor).second)
    fail(source->weights_path, "tensor \"" + name + "\" appears twice (with and without \"module.\")");
}

void read_safetensors(CheckpointSource* source) {
  SafetensorsFile file = SafetensorsFile::open(source->weights_path);
  for (const auto& [name, tensor] : file.tensors()) add_tensor(source, name, tensor);
  source->selection = "all tensors of " + source->weights_path;
}

// timm's load_state_dict: state_dict_ema / model_ema (when wanted), else state_dict / model,
// else the object itself.
void read_torch(CheckpointSource* source, const SourceOptions& options) {
  const std::string& path = source->weights_path;
  PickleValue root = load_torch_checkpoint(path);
  if (!root.is_dict()) fail(path, std::string("holds a ") + root.kind_name() + ", not a state dict");
  PickleValue state = root;
  std::string key;
  const char* ema_keys[] = {"state_dict_ema", "model_ema"};
  const char* plain_keys[] = {"state_dict", "model"};
  if (options.use_ema)
    for (const char* k : ema_keys)
      if (auto v = root.find(k); v && v->is_dict() && key.empty()) key = k;
  for (const char* k : plain_keys)
    if (auto v = root.find(k); v && v->is_dict() && key.empty()) key = k;
  if (!key.empty()) state = root.at(key, path);
  source->selection = key.empty() ? "the state dict in " + path : "\"" + key + "\" of " + path;
  if (!options.use_ema && key.empty()) source->selection += " (no separate EMA weights)";

  for (const auto& [k, v] : state.entries(path)) {
    if (!k.is_str()) fail(path, "state dict has a non-string key");
    if (v.is_tensor())
      add_tensor(source, k.as_str(), v.tensor(path));
    else
      source->notes.push_back("skipped non-tensor entry \"" + k.as_str() + "\" (" + v.kind_name() + ")");
  }
  if (auto arch = root.find("arch"); arch && arch->is_str()) source->arch = arch->as_str();
  if (auto args = root.find("args"); args && args->kind() == PickleKind::Object) {
    PickleValue fields = args->state();
    if (fields.is_dict()) {
      if (auto model = fields.find("model"); model && model->is_str() && source->arch.empty())
        source->arch = model->as_str();
      if (auto kwargs = fields.find("model_kwargs"); kwargs && kwargs->is_dict()) {
        nlohmann::json j = nlohmann::json::object();
        for (const auto& [name, value] : kwargs->entries(path)) {
          if (!name.is_str()) continue;
          switch (value.kind()) {
            case PickleKind::Int: j[name.as_str()] = value.as_int(); break;
            case PickleKind::Float: j[name.as_str()] = value.as_float(); break;
            case PickleKind::Bool: j[name.as_str()] = value.as_bool(); break;
            case PickleKind::Str: j[name.as_str()] = value.as_str(); break;
            case PickleKind::None: j[name.as_str()] = nullptr; break;
            default: fail(path, "args.model_kwargs[\"" + name.as_str() + "\"] is a " + value.kind_name());
          }
        }
        source->arch_kwargs = j;
      }
    }
  }
}

// Views may repeat elements (stride 0) or share a storage, so a small file can declare tensors
// far larger than itself, and converting them would allocate that much. A real checkpoint
// stores every element in at least one byte: more elements than file bytes is refused.
void refuse_oversized_tensors(const CheckpointSource& source) {
  const uint64_t file_bytes = fs::file_size(source.weights_path);
  uint64_t elements = 0;
  for (const auto& [name, tensor] : source.tensors) {
    elements += static_cast<uint64_t>(tensor.numel());  // each at most 2^59 (validated)
    if (elements > file_bytes)
      fail(source.weights_path, "tensors declare more elements than the file's " + std::to_string(file_bytes) +
                                    " bytes hold (stride-0 or overlapping views, e.g. " + quoted_name(name) + " " +
                                    tensor.shape_string() + ")");
  }
}

}  // namespace

std::string find_weights_in_folder(const std::string& dir) {
  for (const char* name : {"model.safetensors", "pytorch_model.bin", "open_clip_pytorch_model.bin"}) {
    fs::path p = fs::path(dir) / name;
    if (fs::is_regular_file(p)) return p.string();
  }
  fail(dir, "folder has neither model.safetensors nor pytorch_model.bin");
}

CheckpointSource open_checkpoint(const std::string& path, const SourceOptions& options) {
  CheckpointSource source;
  if (!fs::exists(path)) fail(path, "no such file or folder");
  if (fs::is_directory(path)) {
    source.weights_path = find_weights_in_folder(path);
    fs::path config = fs::path(path) / "config.json";
    if (fs::is_regular_file(config)) {
      source.config_path = config.string();
      source.timm_config = read_json_file(source.config_path);
    }
  } else {
    source.weights_path = path;
  }
  if (ends_with(source.weights_path, ".safetensors"))
    read_safetensors(&source);
  else
    read_torch(&source, options);
  if (source.tensors.empty()) fail(source.weights_path, "holds no tensors");
  refuse_oversized_tensors(source);
  return source;
}

}  // namespace vit

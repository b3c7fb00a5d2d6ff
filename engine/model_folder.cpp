#include "engine/model_folder.h"

#include <cstdint>

#include "formats/json_file.h"
#include "formats/mapped_file.h"
#include "formats/safetensors.h"

namespace vit {

namespace {

// Hands VitModel one matrix at a time straight from the mapped file (float32 needs no copy)
// and drops the pages of the previous one, so the file and the packed weights are never both
// resident in full.
class MappedMatrices {
 public:
  explicit MappedMatrices(const SafetensorsFile& file) : file_(file) {}
  ~MappedMatrices() { release_previous(); }

  const float* operator()(const std::string& name, Floats* scratch) {
    release_previous();
    const StoredTensor& t = *file_.find(name);  // load_weights checked it exists
    const uint8_t* bytes = t.storage.data + t.offset * static_cast<int64_t>(dtype_size(t.dtype));
    previous_ = bytes;
    previous_bytes_ = static_cast<size_t>(t.numel()) * dtype_size(t.dtype);
    if (t.dtype == DType::F32 && t.is_contiguous() && reinterpret_cast<uintptr_t>(bytes) % alignof(float) == 0)
      return reinterpret_cast<const float*>(bytes);
    // load_weights checked that an int8 matrix comes with its scales.
    *scratch = t.dtype == DType::I8 ? dequantize_rows(t, *file_.find(int8_scale_name(name)), name) : t.to_float();
    return scratch->data();
  }

 private:
  void release_previous() {
    release_mapped_pages(previous_, previous_bytes_);
    previous_ = nullptr;
  }

  const SafetensorsFile& file_;
  const void* previous_ = nullptr;
  size_t previous_bytes_ = 0;
};

}  // namespace

VitModel load_model(const std::string& dir, std::optional<Precision> precision) {
  const std::string config_path = dir + "/" + kConfigFile;
  const std::string weights_path = dir + "/" + kWeightsFile;
  VitConfig config = config_from_json(read_json_file(config_path), config_path);
  SafetensorsFile file = SafetensorsFile::open(weights_path);
  std::vector<std::string> names;
  for (const auto& entry : file.tensors()) names.push_back(entry.first);
  VitWeights weights = load_weights(config, [&](const std::string& name) { return file.find(name); }, names,
                                    weights_path, /*defer_matrices=*/true);
  MappedMatrices matrices(file);
  const Precision chosen = precision.value_or(config.int8_weights ? Precision::Int8 : Precision::F32);
  return VitModel(std::move(config), std::move(weights), chosen,
                  [&](const std::string& name, Floats* scratch) { return matrices(name, scratch); });
}

}  // namespace vit

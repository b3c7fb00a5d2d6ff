#include "engine/model/model_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "engine/model/packed_cache.h"
#include "engine/model/tensor_pages.h"
#include "engine/model/tensor_naming.h"
#include "engine/model/weight_files.h"
#include "formats/crc32.h"
#include "formats/json_file.h"
#include "formats/le_bytes.h"
#include "formats/mapped_file.h"

namespace vit {

namespace {

using EngineTensors = std::map<std::string, StoredTensor>;

// Hands VitModel one matrix at a time straight from the mapped file (float32 needs no copy),
// letting the pages of the one before go, so the file and the packed weights are never both
// resident in full.
class MappedMatrices {
 public:
  MappedMatrices(const EngineTensors& tensors, TensorPages& pages) : tensors_(tensors), pages_(pages) {}

  const float* operator()(const std::string& name, Floats* scratch) {
    const StoredTensor& t = tensors_.at(name);  // load_weights checked it exists
    pages_.reading(t);
    const uint8_t* bytes = t.storage.data + t.offset * static_cast<int64_t>(dtype_size(t.dtype));
    if (t.dtype == DType::F32 && t.is_contiguous() && reinterpret_cast<uintptr_t>(bytes) % alignof(float) == 0)
      return reinterpret_cast<const float*>(bytes);
    // load_weights checked that an int8 matrix comes with its scales.
    *scratch = t.dtype == DType::I8 ? dequantize_rows(t, tensors_.at(int8_scale_name(name)), name) : t.to_float();
    return scratch->data();
  }

 private:
  const EngineTensors& tensors_;
  TensorPages& pages_;
};

uint32_t crc32_of_text(const std::string& text) {
  return crc32_of(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

constexpr uint64_t kSampledBlocks = 64;
constexpr uint64_t kSampleBlockBytes = 4096;

// CRC-32 of `bytes` bytes of `fd` from `offset` (fewer if the file ends first), continuing `crc`.
uint32_t crc_of_range(int fd, uint64_t offset, uint64_t bytes, uint32_t crc) {
  std::vector<uint8_t> buffer(static_cast<size_t>(std::min<uint64_t>(bytes, 1u << 20)));
  while (bytes > 0) {
    const ssize_t n = ::pread(fd, buffer.data(), std::min<uint64_t>(bytes, buffer.size()), static_cast<off_t>(offset));
    if (n <= 0) break;
    crc = crc32_update(crc, buffer.data(), static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
    bytes -= static_cast<uint64_t>(n);
  }
  return crc;
}

// A fingerprint of the weights' contents for a few small reads instead of a pass over the file:
// CRC-32 of the safetensors header and of 64 blocks of 4 KiB spread evenly over the data, the
// first and the last included (all of the data when it is smaller). It catches any change to
// the header (names, dtypes, shapes, offsets) or inside a sampled block; a change elsewhere
// that also keeps the file's size and modification time goes unseen.
uint32_t sampled_content_crc(const std::string& path, uint64_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return 0;
  uint8_t length[8] = {};
  const bool has_length = ::pread(fd, length, sizeof length, 0) == 8;
  const uint64_t header_end = has_length ? std::min(size, 8 + std::min(load_le64(length), size)) : size;
  uint32_t crc = crc_of_range(fd, 0, header_end, 0);
  const uint64_t data = size - header_end;
  if (data <= kSampledBlocks * kSampleBlockBytes) {
    crc = crc_of_range(fd, header_end, data, crc);
  } else {
    for (uint64_t i = 0; i < kSampledBlocks; ++i)
      crc = crc_of_range(fd, header_end + (data - kSampleBlockBytes) * i / (kSampledBlocks - 1), kSampleBlockBytes, crc);
  }
  ::close(fd);
  return crc;
}

// One weights file as a packed cache's source: path, size, modification time, inode and
// sampled contents.
std::string file_fingerprint(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  char text[160];
  std::snprintf(text, sizeof(text), " size %lld mtime %lld.%09ld inode %llu sampled crc32 %08x",
                static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec,
                static_cast<unsigned long long>(st.st_ino),
                sampled_content_crc(path, static_cast<uint64_t>(st.st_size)));
  return std::filesystem::absolute(path).lexically_normal().string() + text;
}

// What a packed cache must have been written for: these weights files, this config and this
// precision.
std::string packed_source(const std::vector<std::string>& weights_paths, const nlohmann::json& config,
                          Precision precision) {
  std::string source;
  for (const std::string& path : weights_paths) source += file_fingerprint(path) + "; ";
  char text[64];
  std::snprintf(text, sizeof(text), "config crc32 %08x %s", crc32_of_text(config.dump()), precision_name(precision));
  return source + text;
}

// One cache file per model folder and precision, named after the folder.
std::string packed_cache_path(const std::string& cache_dir, const std::string& dir, Precision precision) {
  std::filesystem::path folder = std::filesystem::absolute(dir).lexically_normal();
  if (!folder.has_filename()) folder = folder.parent_path();  // "dir/"
  char suffix[64];
  std::snprintf(suffix, sizeof(suffix), "-%08x-%s.safetensors", crc32_of_text(folder.string()),
                precision_name(precision));
  return cache_dir + "/" + folder.filename().string() + suffix;
}

// A transformers ViTModel/DeiTModel has the pooler when save_pretrained stored it (the
// default); a model written without it has none.
void with_pooler_if_stored(const WeightFiles& files, VitConfig* config) {
  const bool may_have_pooler = (config->naming == TensorNaming::Vit || config->naming == TensorNaming::Deit) &&
                               config->num_classes == 0 && config->pooler_size > 0;
  if (!may_have_pooler || config->pooler_output != PoolerOutput::None) return;
  VitConfig pooled = *config;
  pooled.pooler_output = PoolerOutput::DenseTanh;
  const std::string name = stored_location(pooled, "pooler.dense.weight").name;
  for (const auto& entry : files.tensors)
    if (entry.first == name) *config = pooled;
}

}  // namespace

std::map<std::string, StoredTensor> engine_tensors(const std::string& dir, VitConfig* config, MapPages pages) {
  const WeightFiles files = read_weight_files(dir, pages);
  with_pooler_if_stored(files, config);
  return tensors_by_engine_name(*config, files.tensors, files.paths.front());
}

VitModel load_model(const std::string& dir, std::optional<Precision> precision, const std::string& packed_cache_dir,
                    const LoadProgress& progress) {
  const std::string config_path = dir + "/" + kConfigFile;
  const nlohmann::json config_json = read_json_file(config_path);
  VitConfig config = config_from_json(config_json, config_path);
  const Precision chosen = precision.value_or(config.int8_weights ? Precision::Int8 : Precision::F32);
  const std::vector<std::string> paths = weight_file_paths(dir);
  std::optional<PackedCache> cache;
  if (!packed_cache_dir.empty())
    cache.emplace(packed_cache_path(packed_cache_dir, dir, chosen), packed_source(paths, config_json, chosen));
  // With a matching cache the matrices are not read from here: map only what is touched. When
  // the packed copy is smaller than the file (bfloat16 or int8 from float32), mapping every page
  // up front would hold the whole file at once (ViT-L/16 in bfloat16: peak RSS 1177 MiB for
  // 582 MiB of weights); read on demand, each matrix's pages come and go as it is packed.
  const bool packs_smaller = chosen != Precision::F32 && !config.int8_weights;
  const MapPages pages =
      (cache && cache->matches_source()) || packs_smaller ? MapPages::OnDemand : MapPages::Populate;
  const EngineTensors tensors = engine_tensors(dir, &config, pages);
  const std::string& where = paths.front();
  std::vector<std::string> names;
  for (const auto& entry : tensors) names.push_back(entry.first);
  TensorPages resident(tensors, pages);
  const auto find = [&](const std::string& name) -> const StoredTensor* {
    const auto it = tensors.find(name);
    if (it == tensors.end()) return nullptr;
    resident.looking_up(it->second);
    return &it->second;
  };
  VitWeights weights = load_weights(config, find, names, where, /*defer_matrices=*/true);
  MappedMatrices matrices(tensors, resident);
  VitModel model(std::move(config), std::move(weights), chosen,
                 [&](const std::string& name, Floats* scratch) { return matrices(name, scratch); },
                 cache ? &*cache : nullptr, progress);
  if (cache) cache->save();
  return model;
}

}  // namespace vit

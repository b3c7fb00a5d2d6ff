#include "engine/model/packed_cache.h"

#include <cstdlib>
#include <filesystem>

#include "formats/atomic_file.h"
#include "formats/error.h"

namespace vit {

namespace {

constexpr const char* kFormat = "vitcpp packed weights 1";
constexpr const char* kScalesSuffix = ".scales";
constexpr const char* kLayoutSuffix = ".layout";
constexpr size_t kDataAlignment = 4096;

}  // namespace

PackedCache::PackedCache(std::string path, std::string source) : path_(std::move(path)), source_(std::move(source)) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path_, error)) return;
  try {
    SafetensorsFile file = SafetensorsFile::open(path_);
    const auto& meta = file.metadata();
    auto format = meta.find("format"), source_entry = meta.find("source");
    if (format != meta.end() && format->second == kFormat && source_entry != meta.end() &&
        source_entry->second == source_)
      file_ = std::move(file);
  } catch (const Error&) {  // unreadable: a miss, rewritten by save()
  }
}

std::optional<PackedImage> PackedCache::find(const std::string& name) const {
  if (!file_) return std::nullopt;
  const StoredTensor* bytes = file_->find(name);
  const auto layout = file_->metadata().find(name + kLayoutSuffix);
  if (!bytes || bytes->dtype != DType::U8 || bytes->shape.size() != 1 || layout == file_->metadata().end())
    return std::nullopt;
  PackedImage image{layout->second, bytes->storage.slice(static_cast<size_t>(bytes->offset),
                                                         static_cast<size_t>(bytes->numel()), path_),
                    {}};
  if (const StoredTensor* scales = file_->find(name + kScalesSuffix)) {
    if (scales->dtype != DType::F32) return std::nullopt;
    image.scales = scales->to_float();
  }
  return image;
}

void PackedCache::keep(const std::string& name, PackedImage image) {
  const StoredTensor* saved = file_ ? file_->find(name) : nullptr;
  if (saved && saved->storage.data + saved->offset == image.bytes.data) ++found_;  // U8: offset in bytes
  kept_[name] = std::move(image);
}

bool PackedCache::all_found() const { return !kept_.empty() && found_ == kept_.size(); }

bool PackedCache::up_to_date() const {
  if (!all_found()) return false;
  size_t tensors = kept_.size();
  for (const auto& entry : kept_) tensors += !entry.second.scales.empty();
  return file_->tensors().size() == tensors;
}

bool PackedCache::save() const {
  if (kept_.empty() || up_to_date()) return false;
  std::vector<SafetensorsEntry> entries;
  std::map<std::string, std::string> metadata = {{"format", kFormat}, {"source", source_}};
  for (const auto& [name, image] : kept_) {
    if (image.layout.empty()) return false;  // a layout we cannot describe: never cached
    entries.push_back({name, DType::U8, {static_cast<int64_t>(image.bytes.size)}, image.bytes.data, image.bytes.size});
    if (!image.scales.empty())
      entries.push_back({name + kScalesSuffix, DType::F32, {static_cast<int64_t>(image.scales.size())},
                         image.scales.data(), image.scales.size() * sizeof(float)});
    metadata[name + kLayoutSuffix] = image.layout;
  }
  try {
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
    remove_stale_temp_files(path_);  // a writer killed mid-save leaves one each time
    write_safetensors(path_, std::move(entries), metadata, kDataAlignment);
  } catch (const std::exception&) {  // Error or filesystem_error: run without a cache
    return false;
  }
  return true;
}

std::string default_packed_cache_dir() {
  if (const char* dir = std::getenv("VITCPP_CACHE_DIR"); dir && *dir) return dir;
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir && *dir) return std::string(dir) + "/vitcpp";
  if (const char* dir = std::getenv("HOME"); dir && *dir) return std::string(dir) + "/.cache/vitcpp";
  return "";
}

}  // namespace vit

#include "importer/model_folder_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/image/preprocessor_config.h"
#include "engine/model/model_folder.h"
#include "formats/atomic_file.h"
#include "importer/config_json.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "engine/model/vit_weights.h"
#include "formats/safetensors.h"

namespace fs = std::filesystem;

namespace vit {

namespace {

// Missing parent folders are created first (like mkdir -p), so `--out new/place/model` works.
std::string make_temp_dir_beside(const fs::path& target) {
  fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code error;
  fs::create_directories(parent, error);
  if (error) fail(target.string(), "cannot create its parent folder: " + error.message());
  std::string pattern = (parent / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  if (!::mkdtemp(pattern.data()))
    fail(target.string(), std::string("cannot create a temporary folder beside it: ") + std::strerror(errno));
  return pattern;
}

void write_contents(const std::string& dir, const FolderContents& c) {
  write_json_file(dir + "/" + kConfigFile, config_to_json(c.config));
  std::vector<SafetensorsEntry> entries;
  for (const auto& [name, tensor] : *c.tensors)
    entries.push_back({name, DType::F32, tensor.shape, tensor.values.data(), tensor.values.size() * sizeof(float)});
  if (c.int8)
    for (const auto& [name, m] : *c.int8) {
      entries.push_back({name, DType::I8, m.shape, m.values.data(), m.values.size()});
      entries.push_back({int8_scale_name(name), DType::F32, {m.shape[0]}, m.scales.data(), m.scales.size() * sizeof(float)});
    }
  std::map<std::string, std::string> metadata = c.metadata;
  metadata["format"] = "pt";  // transformers refuses safetensors files without it
  write_safetensors(dir + "/" + kWeightsFile, std::move(entries), metadata);
  write_json_file(dir + "/" + kPreprocessorFile, c.preprocessor);
}

}  // namespace

void write_model_folder(const std::string& target, const FolderContents& contents, bool overwrite,
                        const std::function<void(const std::string&)>& check) {
  const fs::path target_path = fs::path(target).lexically_normal();
  if (target_path.filename().empty()) fail(target, "is not a usable folder name");
  const bool exists = fs::exists(target_path);
  if (exists && !overwrite) fail(target, "already exists (pass --overwrite to replace it)");
  if (exists && !fs::is_directory(target_path)) fail(target, "exists and is not a folder");
  const std::string temp = make_temp_dir_beside(target_path);
  try {
    write_contents(temp, contents);
    sync_directory(temp);
    check(temp);
    if (exists) {
      // Move the old folder aside first: a crash leaves either the old or the new one in place.
      const std::string old = make_temp_dir_beside(target_path);
      fs::remove(old);
      fs::rename(target_path, old);
      fs::rename(temp, target_path);
      fs::remove_all(old);
    } else {
      fs::rename(temp, target_path);
    }
    sync_directory(target_path.parent_path().empty() ? "." : target_path.parent_path().string());
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(temp);
    fail(target, std::string("cannot move the new folder into place: ") + e.code().message());
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    throw;
  }
}

}  // namespace vit

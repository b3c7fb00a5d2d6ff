#include "importer/model_folder_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>  // renameat2, RENAME_EXCHANGE (glibc 2.28+)

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

mode_t current_umask() {
  const mode_t mask = ::umask(0);  // the only way to read it; set back at once (one thread runs here)
  ::umask(mask);
  return mask;
}

// Missing parent folders are created first (like mkdir -p), so `--out new/place/model` works.
// The folder gets the mode mkdir would give it (0777 less the umask), not mkdtemp's 0700.
std::string make_temp_dir_beside(const fs::path& target) {
  fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code error;
  fs::create_directories(parent, error);
  if (error) fail(target.string(), "cannot create its parent folder: " + error.message());
  std::string pattern = (parent / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  if (!::mkdtemp(pattern.data()))
    fail(target.string(), std::string("cannot create a temporary folder beside it: ") + std::strerror(errno));
  if (::chmod(pattern.c_str(), 0777 & ~current_umask()) != 0)
    fail(target.string(), std::string("cannot set the mode of its temporary folder: ") + std::strerror(errno));
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

// Puts the complete folder `fresh` at `target`, which holds the old one. Where the filesystem
// can swap two paths in one step (renameat2 RENAME_EXCHANGE: ext4, xfs, btrfs, tmpfs, ...),
// a crash at any moment leaves the complete old or new folder at `target`, and at most hidden
// ".<name>.tmp-*" folders beside it.
void replace_folder(const std::string& fresh, const fs::path& target) {
  if (::renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    std::error_code ignored;  // a leftover old folder stays hidden beside the new one
    fs::remove_all(fresh, ignored);  // now the old folder
    return;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    fail(target.string(), std::string("cannot swap the new folder into place: ") + std::strerror(errno));
  // No exchange here (NFS, some FUSE filesystems): the old folder moves aside, then the new one
  // moves in. A crash between those two renames leaves no folder at `target`; both the old and
  // the new one then survive complete as hidden ".<name>.tmp-*" folders beside it.
  const std::string old = make_temp_dir_beside(target);
  fs::remove(old);
  fs::rename(target, old);
  fs::rename(fresh, target);
  fs::remove_all(old);
}

// Whether `inner` is `outer` or lies inside it (both canonical).
bool is_within(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i)
    if (i == inner.end() || *i != *o) return false;
  return true;
}

bool is_model_folder(const fs::path& dir) {
  return fs::is_regular_file(dir / kConfigFile) && fs::is_regular_file(dir / kWeightsFile);
}

}  // namespace

void check_output_folder(const std::string& target, const std::vector<std::string>& inputs, bool any_folder) {
  std::error_code error;
  const fs::path out = fs::weakly_canonical(fs::absolute(target), error);
  if (error) fail(target, "cannot resolve the output path: " + error.message());
  for (const std::string& input : inputs) {
    const fs::path in = input.empty() ? fs::path() : fs::canonical(input, error);
    if (input.empty() || error) continue;  // a missing input is refused where it is read
    if (is_within(out, in) || is_within(in, out))
      fail(target, "the output " + std::string(out == in ? "is" : is_within(in, out) ? "contains" : "is inside") +
                       " the input " + input + "; choose another --out");
  }
  if (!any_folder && fs::is_directory(out) && !fs::is_empty(out, error) && !is_model_folder(out))
    fail(target, "is a folder but not a model folder (no " + std::string(kConfigFile) + " + " + kWeightsFile +
                     "); pass --overwrite-any-folder to replace it and everything in it");
}

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
    if (exists) replace_folder(temp, target_path);
    else fs::rename(temp, target_path);
    sync_directory(target_path.parent_path().empty() ? "." : target_path.parent_path().string());
  } catch (const fs::filesystem_error& e) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    fail(target, std::string("cannot move the new folder into place: ") + e.code().message());
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    throw;
  }
}

}  // namespace vit

#include "npz.h"

#include "error.h"
#include "mapped_file.h"
#include "quoted_name.h"
#include "text.h"

namespace vit {

std::vector<std::pair<std::string, NpyArray>> read_npz(const std::string& path, const ZipLimits& limits) {
  const ZipArchive zip = ZipArchive::open(map_file(path), path, limits);
  std::vector<std::pair<std::string, NpyArray>> arrays;
  arrays.reserve(zip.entries().size());
  const std::string suffix = ".npy";
  for (const ZipEntry& entry : zip.entries()) {
    const std::string& name = entry.name;
    if (name == suffix || !ends_with(name, suffix))
      fail(path, "member " + quoted_name(name) + " is not a .npy file");
    arrays.emplace_back(name.substr(0, name.size() - suffix.size()),
                        parse_npy(zip.read(entry), path + ": member " + quoted_name(name)));
  }
  return arrays;
}

}  // namespace vit

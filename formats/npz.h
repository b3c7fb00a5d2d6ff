// NumPy .npz archives (np.savez and np.savez_compressed): a ZIP of .npy members.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "npy.h"
#include "zip_reader.h"

namespace vit {

// Every member in archive order, named without its ".npy" suffix. Stored members are
// zero-copy views of the mapped file; deflated ones own their inflated bytes. Members not
// ending in ".npy" are refused. Errors read "<path>: ...".
std::vector<std::pair<std::string, NpyArray>> read_npz(const std::string& path, const ZipLimits& limits = {});

}  // namespace vit

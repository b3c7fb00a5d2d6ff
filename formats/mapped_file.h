// A read-only memory-mapped file; the returned view keeps the mapping alive.
#pragma once
#include <string>

#include "byte_view.h"

namespace vit {

// Maps `path` read-only. Throws Error("<path>: ...") when it cannot be opened or is not a
// regular file. An empty file gives an empty view.
ByteView map_file(const std::string& path);

}  // namespace vit

// A read-only memory-mapped file; the returned view keeps the mapping alive.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "byte_view.h"

namespace vit {

// Populate maps every page at once, which costs several times less than a fault per 4 KiB
// page on virtual machines; OnDemand maps only the pages that are read (for a large file of
// which little will be read).
enum class MapPages { Populate, OnDemand };

// Maps `path` read-only. Throws Error("<path>: ...") when it cannot be opened, is not a regular
// file (a FIFO or device is refused without waiting on it) or is larger than `max_bytes`; all
// checked before anything is read or mapped. An empty file gives an empty view.
ByteView map_file(const std::string& path, MapPages pages = MapPages::Populate, size_t max_bytes = SIZE_MAX);

// Drops the pages of a range of map_file's view (a slice of it) from this process's memory; the
// range stays readable: the kernel reads the pages back from the file if touched again. Lets a
// reader that consumes a large file piece by piece keep only the piece at hand resident. Bytes
// that are not file pages (a decompressed buffer) are left alone: dropping those would zero
// them, and the whole pages around them.
void release_mapped_pages(const ByteView& bytes);

}  // namespace vit

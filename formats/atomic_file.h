// Writes files so a reader never sees a partial one: temp file beside the target, fsync, rename.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

namespace vit {

// Calls `produce(write)` where write(data, size) appends bytes to a temporary file beside
// `path`; on success fsyncs and renames it over `path`; on any failure removes the temp file
// and rethrows. Errors name `path`.
void write_file_atomically(const std::string& path,
                           const std::function<void(const std::function<void(const void*, size_t)>&)>& produce);
void write_file_atomically(const std::string& path, const std::string& contents);
// fsyncs a directory so a rename inside it is durable.
void sync_directory(const std::string& dir);

}  // namespace vit

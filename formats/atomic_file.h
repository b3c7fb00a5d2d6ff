// Writes files so a reader never sees a partial one: temp file beside the target, fsync, rename.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

namespace vit {

using ByteSink = std::function<void(const void*, size_t)>;

// Calls `produce(write)` where write(data, size) appends bytes to the output. What `path` names
// decides how it is written:
// - a regular file or a new path: a temporary file beside it, fsynced and renamed over it, so
//   a reader sees the old or the new contents, never a part; on failure the temp file goes;
// - "-": standard output, written through;
// - a character device (/dev/null) or a FIFO: opened for writing and written through, never
//   replaced (renaming a file over /dev/null would break it for the whole machine);
// - a symbolic link: followed to its final target, which is then written as above; the link
//   itself stays. A link whose target cannot be resolved (dangling, a loop) is refused.
// - anything else (a folder, a socket, a block device): refused.
// Errors name `path`.
void write_file_atomically(const std::string& path, const std::function<void(const ByteSink&)>& produce);
void write_file_atomically(const std::string& path, const std::string& contents);
// "<path>.tmp-<pid>-": the temporary files beside `path` are this plus six random characters,
// so a later writer can tell whose they were.
std::string temp_file_prefix(const std::string& path);
// Removes the temporary files a killed writer of `path` left beside it: regular files named
// "<name>.tmp-<pid>-XXXXXX" whose writer process is gone, and those (or the older pid-less
// "<name>.tmp-XXXXXX") older than `max_age_seconds`. A writer in another PID namespace may look
// gone; its rename then fails, which a cache survives. Nothing else is touched. Best effort:
// errors are ignored.
void remove_stale_temp_files(const std::string& path, long max_age_seconds = 30 * 60);
// fsyncs a directory so a rename inside it is durable.
void sync_directory(const std::string& dir);

}  // namespace vit

#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "error.h"

namespace vit {

namespace {

std::string parent_dir(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

}  // namespace

void sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: some filesystems refuse
  ::fsync(fd);
  ::close(fd);
}

void write_file_atomically(const std::string& path,
                           const std::function<void(const std::function<void(const void*, size_t)>&)>& produce) {
  std::string temp = path + ".tmp-XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) fail(path, std::string("cannot create a temporary file: ") + std::strerror(errno));
  auto cleanup = [&] {
    ::close(fd);
    ::unlink(temp.c_str());
  };
  try {
    produce([&](const void* data, size_t size) {
      const char* p = static_cast<const char*>(data);
      while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(path, std::string("write failed: ") + std::strerror(errno));
        p += n;
        size -= static_cast<size_t>(n);
      }
    });
    if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0)
      fail(path, std::string("cannot flush: ") + std::strerror(errno));
  } catch (...) {
    cleanup();
    throw;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(temp.c_str());
    fail(path, std::string("cannot rename into place: ") + std::strerror(e));
  }
  sync_directory(parent_dir(path));
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  write_file_atomically(path, [&](const auto& write) { write(contents.data(), contents.size()); });
}

}  // namespace vit

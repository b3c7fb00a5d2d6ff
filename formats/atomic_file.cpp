#include "atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "error.h"

namespace vit {

namespace {

std::string parent_dir(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

void write_all(int fd, const std::string& path, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(path, std::string("write failed: ") + std::strerror(errno));
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// Standard output, a character device or a FIFO: there is nothing to rename, only a stream.
void write_through(int fd, const std::string& path, const std::function<void(const ByteSink&)>& produce) {
  produce([&](const void* data, size_t size) { write_all(fd, path, data, size); });
}

void write_to_stdout(const std::function<void(const ByteSink&)>& produce) {
  std::cout.flush();  // text already printed comes first
  std::fflush(stdout);
  write_through(STDOUT_FILENO, "-", produce);
}

void write_to_stream_file(const std::string& path, const std::function<void(const ByteSink&)>& produce) {
  // No O_CREAT: the node exists; O_TRUNC is ignored by devices and FIFOs.
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) fail(path, std::string("cannot open for writing: ") + std::strerror(errno));
  try {
    write_through(fd, path, produce);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

void replace_by_rename(const std::string& path, const std::function<void(const ByteSink&)>& produce) {
  std::string temp = temp_file_prefix(path) + "XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) fail(path, std::string("cannot create a temporary file: ") + std::strerror(errno));
  try {
    write_through(fd, path, produce);
    if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0)
      fail(path, std::string("cannot flush: ") + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
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

std::string resolve_symlink(const std::string& path) {
  char resolved[PATH_MAX];
  if (!::realpath(path.c_str(), resolved))
    fail(path, std::string("is a symbolic link whose target cannot be resolved: ") + std::strerror(errno));
  return resolved;
}

}  // namespace

std::string temp_file_prefix(const std::string& path) {
  return path + ".tmp-" + std::to_string(::getpid()) + "-";
}

namespace {

constexpr pid_t kUnknownWriter = -1;

// The writer's pid in "<pid>-XXXXXX"; kUnknownWriter for the bare "XXXXXX" that writers before
// the pid was added left; 0 when the rest of a temp name is of neither form.
pid_t writer_pid(const std::string& rest) {
  if (rest.size() == 6 && rest.find('-') == std::string::npos) return kUnknownWriter;
  const size_t dash = rest.find('-');
  if (dash == 0 || dash == std::string::npos || rest.size() != dash + 7) return 0;
  pid_t pid = 0;
  for (size_t i = 0; i < dash; ++i) {
    if (rest[i] < '0' || rest[i] > '9' || pid > 1000000000) return 0;
    pid = pid * 10 + (rest[i] - '0');
  }
  return pid;
}

bool is_stale(const std::filesystem::directory_entry& entry, pid_t pid, long max_age_seconds) {
  struct stat st {};
  if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) return true;
  return ::time(nullptr) - st.st_mtime > max_age_seconds;
}

}  // namespace

void remove_stale_temp_files(const std::string& path, long max_age_seconds) {
  namespace fs = std::filesystem;
  const std::string prefix = fs::path(path).filename().string() + ".tmp-";
  std::error_code error;
  for (fs::directory_iterator it(parent_dir(path), error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const pid_t pid = writer_pid(name.substr(prefix.size()));
    std::error_code ignored;
    if (pid != 0 && is_stale(*it, pid, max_age_seconds)) fs::remove(it->path(), ignored);
  }
}

void sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: some filesystems refuse
  ::fsync(fd);
  ::close(fd);
}

void write_file_atomically(const std::string& path, const std::function<void(const ByteSink&)>& produce) {
  if (path == "-") return write_to_stdout(produce);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) fail(path, std::string("cannot stat: ") + std::strerror(errno));
    return replace_by_rename(path, produce);
  }
  if (S_ISLNK(st.st_mode)) {
    const std::string target = resolve_symlink(path);
    if (::lstat(target.c_str(), &st) != 0) fail(path, std::string("cannot stat its target: ") + std::strerror(errno));
    if (S_ISREG(st.st_mode)) return replace_by_rename(target, produce);
  } else if (S_ISREG(st.st_mode)) {
    return replace_by_rename(path, produce);
  }
  if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) return write_to_stream_file(path, produce);
  fail(path, S_ISDIR(st.st_mode) ? "is a folder, expected a file" : "is not a regular file, character device or FIFO");
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  write_file_atomically(path, [&](const ByteSink& write) { write(contents.data(), contents.size()); });
}

}  // namespace vit

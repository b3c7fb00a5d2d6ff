#include "mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "error.h"

namespace vit {

namespace {

struct Mapping {
  void* address = nullptr;
  size_t length = 0;
  ~Mapping() {
    if (address && length) munmap(address, length);
  }
};

}  // namespace

namespace {

// Opens without blocking (a FIFO would wait for a writer) and refuses anything but a regular
// file of at most `max_bytes`, all before a byte is read. fstat on the open descriptor, so the
// file checked is the file read.
int open_regular_file(const std::string& path, size_t max_bytes, struct stat* st) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::string problem;
  if (fstat(fd, st) != 0) problem = std::string("cannot stat: ") + std::strerror(errno);
  else if (S_ISDIR(st->st_mode)) problem = "is a directory, expected a file";
  else if (!S_ISREG(st->st_mode)) problem = "is not a regular file";
  else if (static_cast<uint64_t>(st->st_size) > max_bytes)
    problem = "file of " + std::to_string(st->st_size) + " bytes exceeds the limit of " + std::to_string(max_bytes);
  if (problem.empty()) return fd;
  ::close(fd);
  fail(path, problem);
}

}  // namespace

ByteView map_file(const std::string& path, MapPages pages, size_t max_bytes) {
  struct stat st {};
  const int fd = open_regular_file(path, max_bytes, &st);
  auto mapping = std::make_shared<Mapping>();
  mapping->length = static_cast<size_t>(st.st_size);
  if (mapping->length > 0) {
    void* p = mmap(nullptr, mapping->length, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED && pages == MapPages::Populate) {
      // Huge pages where the page cache holds 2 MiB folios (Linux 6.x with large folios), then
      // every page mapped in one call. Both are advice: a kernel without them faults on demand.
      ::madvise(p, mapping->length, MADV_HUGEPAGE);
      ::madvise(p, mapping->length, MADV_POPULATE_READ);
    }
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      mapping->length = 0;
      fail(path, std::string("cannot map: ") + std::strerror(e));
    }
    mapping->address = p;
  }
  ::close(fd);
  return ByteView{static_cast<const uint8_t*>(mapping->address), mapping->length, mapping, true};
}

void release_mapped_pages(const ByteView& bytes) {
  if (!bytes.file_pages || !bytes.data || bytes.size == 0) return;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(bytes.data) / page * page;
  const uintptr_t end = reinterpret_cast<uintptr_t>(bytes.data) + bytes.size;
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);  // advice only: errors change nothing
}

}  // namespace vit

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

ByteView map_file(const std::string& path, MapPages pages) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    fail(path, std::string("cannot stat: ") + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, S_ISDIR(st.st_mode) ? "is a directory, expected a file" : "is not a regular file");
  }
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
  return ByteView{static_cast<const uint8_t*>(mapping->address), mapping->length, mapping};
}

void release_mapped_pages(const void* data, size_t bytes) {
  if (!data || bytes == 0) return;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(data) / page * page;
  const uintptr_t end = reinterpret_cast<uintptr_t>(data) + bytes;
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);  // advice only: errors change nothing
}

}  // namespace vit

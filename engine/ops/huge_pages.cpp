#include "engine/ops/huge_pages.h"

#include <sys/mman.h>

#include <cstdlib>
#include <string>

#include "formats/error.h"

namespace vit {

std::shared_ptr<void> allocate_huge_pages(size_t bytes) {
  const size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  void* memory = std::aligned_alloc(kHugePageBytes, rounded);
  if (!memory) fail("", "out of memory (" + std::to_string(rounded >> 20) + " MiB more)");
  ::madvise(memory, rounded, MADV_HUGEPAGE);  // advice only: without it the memory still works
  return std::shared_ptr<void>(memory, std::free);
}

}  // namespace vit

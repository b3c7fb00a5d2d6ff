// Memory in transparent huge pages. On virtual machines every page fault is expensive (tens of
// microseconds measured on a 2-core cloud VM), so buffers that are large and touched soon after being
// allocated (packed weights, activations) fault in 2 MiB at a time instead of 4 KiB.
#pragma once
#include <cstddef>
#include <memory>

namespace vit {

constexpr size_t kHugePageBytes = size_t{2} << 20;

// At least `bytes` (rounded up to whole huge pages), 2 MiB-aligned and advised to use huge
// pages; uninitialized. Throws Error when out of memory.
std::shared_ptr<void> allocate_huge_pages(size_t bytes);

}  // namespace vit

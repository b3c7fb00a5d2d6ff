#include "engine/model/scratch.h"

#include "engine/ops/huge_pages.h"

namespace vit {

void* Scratch::block(size_t bytes) {
  if (bytes > capacity_) {
    block_ = allocate_huge_pages(bytes);
    capacity_ = bytes;
  }
  return block_.get();
}

ScratchPool::Lease ScratchPool::take() {
  std::unique_ptr<Scratch> scratch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      scratch = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (!scratch) scratch = std::make_unique<Scratch>();
  return Lease(*this, std::move(scratch));
}

void ScratchPool::put_back(std::unique_ptr<Scratch> scratch) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_.push_back(std::move(scratch));
}

}  // namespace vit

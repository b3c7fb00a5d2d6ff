// Activation memory for forward calls: one growing block per Scratch, and a pool that leases a
// Scratch to each call so that concurrent calls never share one.
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace vit {

// Places buffers one after another, each on its own cache line. Without a block it only
// measures: the same sequence of take() calls then fits any block of at least used() bytes.
class BufferCarver {
 public:
  BufferCarver() = default;
  explicit BufferCarver(void* block) : block_(static_cast<unsigned char*>(block)) {}

  // `count` uninitialized elements (null while measuring).
  template <class T>
  T* take(size_t count) {
    void* start = block_ ? block_ + used_ : nullptr;
    used_ += (count * sizeof(T) + kLine - 1) / kLine * kLine;
    return static_cast<T*>(start);
  }
  size_t used() const { return used_; }

 private:
  static constexpr size_t kLine = 64;
  unsigned char* block_ = nullptr;
  size_t used_ = 0;
};

// Position embeddings resampled to the grid of the last input of another size than the
// config's; they depend on nothing else, so inputs of one size resample only once per Scratch.
struct ResampledPositions {
  int grid_height = 0, grid_width = 0;
  std::vector<float> values;  // [position-covered prefix + grid cells, hidden]
};

// The memory one forward call works in. Every buffer the call writes (activations, attention
// scores, pooling and head buffers) is carved from one block in huge pages (a few page faults on
// the first call instead of one per 4 KiB) that only grows; resampled position embeddings are
// kept until an input of another size needs them. So once a Scratch has served an input needing
// as large a block, and of the same size if it is not the config's, a forward call on it
// allocates nothing itself but the ForwardResult it returns. (The kernels still allocate a few
// small objects per GEMM: oneDNN's memory descriptors and argument maps.)
class Scratch {
 public:
  // `place(carver)` takes every buffer of a call from a BufferCarver and returns them; it runs
  // twice, first to measure, then over this Scratch's block (grown if needed).
  template <class Place>
  auto carve(Place place) {
    BufferCarver measure;
    place(measure);
    BufferCarver carver(block(measure.used()));
    return place(carver);
  }

  ResampledPositions positions;

 private:
  void* block(size_t bytes);  // at least `bytes`; the contents are not kept when it grows
  std::shared_ptr<void> block_;
  size_t capacity_ = 0;
};

// Scratches for concurrent forward calls: take() leases a free one (or a new one when all are
// in use), and the lease returns it when it ends.
class ScratchPool {
 public:
  class Lease {
   public:
    Lease(ScratchPool& pool, std::unique_ptr<Scratch> scratch) : pool_(pool), scratch_(std::move(scratch)) {}
    ~Lease() { pool_.put_back(std::move(scratch_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Scratch& operator*() const { return *scratch_; }
    Scratch* operator->() const { return scratch_.get(); }

   private:
    ScratchPool& pool_;
    std::unique_ptr<Scratch> scratch_;
  };

  Lease take();

 private:
  void put_back(std::unique_ptr<Scratch> scratch);
  std::mutex mutex_;
  std::vector<std::unique_ptr<Scratch>> free_;
};

}  // namespace vit

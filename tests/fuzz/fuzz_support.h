// Shared pieces of the libFuzzer targets: the one exception they expect, bounded walks over
// what a loader returned, and an in-memory file for the APIs that only take a path.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "formats/byte_view.h"
#include "formats/error.h"
#include "formats/pickle_value.h"
#include "formats/stored_tensor.h"

namespace vit::fuzz {

// Runs one input. vit::Error is how every reader refuses bad bytes; any other exception
// escapes to libFuzzer, which reports it as a crash together with the input.
template <class Body>
int run_one(Body&& body) {
  try {
    body();
  } catch (const Error&) {
  }
  return 0;
}

// The input as a borrowed view: libFuzzer's buffer is a heap block of exactly `size` bytes,
// so AddressSanitizer catches a read one byte past the end.
inline ByteView view_of(const uint8_t* data, size_t size) { return ByteView{data, size, nullptr}; }

// Reads every element of a tensor the loader accepted (validate() promised they lie inside
// the storage), unless the tensor addresses more than `max_elements`.
inline void touch_tensor(const StoredTensor& t, const std::string& where, int64_t max_elements = 1 << 18) {
  t.validate(where);
  if (t.numel() <= max_elements) {
    volatile float sink = 0;
    for (float v : t.to_float()) sink = sink + v;
  }
}

// Visits each node of a loaded pickle once (the tree may share nodes exponentially often),
// calling every accessor that applies to its kind.
class PickleWalker {
 public:
  explicit PickleWalker(size_t budget = 1 << 16) : budget_(budget) {}

  void walk(const PickleValue& v) {
    if (budget_ == 0 || !seen_.insert(v.identity()).second) return;
    --budget_;
    (void)v.kind_name();
    switch (v.kind()) {
      case PickleKind::Bool: (void)v.as_bool(); break;
      case PickleKind::Int: (void)v.as_int(); (void)v.as_float(); break;
      case PickleKind::BigInt: (void)v.big_int_text(); break;
      case PickleKind::Float: (void)v.as_float(); break;
      case PickleKind::Str: (void)v.as_str(); break;
      case PickleKind::Bytes: (void)v.as_bytes(); break;
      case PickleKind::Tuple:
      case PickleKind::List:
      case PickleKind::Set:
        for (const PickleValue& item : v.items()) walk(item);
        break;
      case PickleKind::Dict:
        for (const auto& [key, value] : v.entries()) {
          walk(key);
          walk(value);
          if (key.is_str()) (void)v.find(key.as_str());
        }
        break;
      case PickleKind::Global: (void)v.qualified_name(); (void)v.refused(); break;
      case PickleKind::Object:
        (void)v.qualified_name();
        walk(v.object_class());
        walk(v.object_args());
        walk(v.object_kwargs());
        break;
      case PickleKind::Storage:
      case PickleKind::Tensor: touch_tensor(v.tensor(), "fuzz"); break;
      case PickleKind::None: break;
    }
    walk(v.state());
  }

 private:
  size_t budget_;
  std::unordered_set<const void*> seen_;
};

// A file that lives in memory, reachable by path (/proc/self/fd/N), rewritten per input.
class MemoryFile {
 public:
  MemoryFile() : fd_(memfd_create("fuzz-input", MFD_CLOEXEC)) {
    if (fd_ < 0) __builtin_trap();
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  std::string hold(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0 || (size && pwrite(fd_, data, size, 0) != static_cast<ssize_t>(size)))
      __builtin_trap();
    return "/proc/self/fd/" + std::to_string(fd_);
  }

 private:
  int fd_;
};

}  // namespace vit::fuzz

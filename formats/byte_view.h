// A bounds-checked, non-owning view of bytes, with an optional owner that keeps them alive.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace vit {

struct ByteView {
  const uint8_t* data = nullptr;
  size_t size = 0;
  // Keeps the memory alive (a mapped file, a decompressed buffer); may be null for borrowed views.
  std::shared_ptr<const void> owner;
  // The bytes are pages of a read-only file mapping (map_file), which the kernel can read back
  // from the file: release_mapped_pages drops only such pages, never memory the process owns.
  bool file_pages = false;

  // The sub-range [offset, offset+length); throws Error naming `where` when it is out of range.
  ByteView slice(size_t offset, size_t length, const std::string& where) const;
  std::string str() const { return std::string(reinterpret_cast<const char*>(data), size); }
};

// Takes ownership of a buffer and returns a view of all of it.
ByteView own_bytes(std::string bytes);

}  // namespace vit

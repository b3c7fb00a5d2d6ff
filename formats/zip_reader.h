// Reads ZIP archives (as torch.save and numpy's savez write them) from a memory-mapped file.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "byte_view.h"

namespace vit {

struct ZipLimits {
  uint64_t max_entries = 1u << 20;                 // absurd entry counts are refused
  uint64_t max_inflated_bytes = 1ull << 34;        // total for one deflated entry (16 GiB)
  double max_inflate_ratio = 1100.0;               // deflate can't exceed ~1032:1; more is a bomb
};

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
  uint64_t data_offset = 0;  // first byte of the entry's data, after the local header
};

class ZipArchive {
 public:
  // Parses the central directory (zip64 included) and every local header; validates that
  // each entry lies inside the file and that no two entries overlap each other or the
  // central directory. Throws Error("<where>: ...") on anything malformed.
  static ZipArchive open(ByteView file, const std::string& where, const ZipLimits& limits = {});

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;  // nullptr when absent
  // The entry's bytes: zero-copy for stored entries, inflated into an owned buffer for deflate
  // (never more than the declared size). The CRC-32 is checked either way.
  ByteView read(const ZipEntry& entry) const;
  const std::string& where() const { return where_; }

 private:
  ByteView file_;
  std::string where_;
  ZipLimits limits_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in entries_
};

// True when the bytes start with a ZIP local file header or end-of-central-directory record.
bool looks_like_zip(ByteView bytes);

}  // namespace vit

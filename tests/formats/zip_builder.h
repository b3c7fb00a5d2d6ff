// Test-only ZIP writer: honest archives by default, with hooks to forge each header field;
// plus EXPECT_VIT_ERROR, which the hostile-file tests share.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "formats/error.h"

namespace vit::test {

struct ZipBuildEntry {
  std::string name;
  std::string data;             // the uncompressed content
  uint16_t method = 0;          // 0 stored, 8 deflate (data is deflated by the builder)
  bool zip64 = false;           // escaped sizes/offset plus zip64 extra fields
  bool zip64_local_only = false; // escaped sizes in the local header only (numpy's savez)
  bool data_descriptor = false; // flag bit 3: zero sizes in the local header, descriptor after data
  uint16_t extra_flags = 0;     // OR'ed into both headers' flags (e.g. 1 = encrypted)

  // Forgeries; each replaces the honest value where set.
  std::optional<std::string> payload;         // bytes written as the entry's data
  std::optional<uint32_t> crc;
  std::optional<uint64_t> compressed_size;    // in both headers
  std::optional<uint64_t> uncompressed_size;  // in both headers
  std::optional<std::string> local_name;      // name in the local header
  std::optional<uint64_t> local_offset;       // the central directory's local header offset
  bool omit_local = false;                    // write only the central record (needs local_offset)
};

struct ZipBuildOptions {
  bool zip64_eocd = false;                // zip64 end record + locator, escaped classic fields
  std::optional<uint64_t> entry_count;    // forged count in the end record(s)
  std::string comment;
};

std::string build_zip(const std::vector<ZipBuildEntry>& entries, const ZipBuildOptions& options = {});

// Raw deflate (no zlib header) of `data`, and of `count` zero bytes without materialising them.
std::string deflate_raw(const std::string& data, int level = 6);
std::string deflate_zeros(uint64_t count, int level = 9);
uint32_t crc32_zeros(uint64_t count);

// Writes bytes to a file (non-atomic; tests only).
void write_bytes(const std::string& path, const std::string& bytes);

}  // namespace vit::test

// Runs `statement`, expecting vit::Error whose message starts with `where` and contains `part`.
#define EXPECT_VIT_ERROR(statement, where, part)                                          \
  do {                                                                                    \
    try {                                                                                 \
      statement;                                                                          \
      ADD_FAILURE() << "expected vit::Error containing \"" << (part) << "\"";             \
    } catch (const ::vit::Error& e) {                                                     \
      const std::string message = e.what();                                               \
      EXPECT_EQ(message.rfind(std::string(where) + ": ", 0), 0u) << message;              \
      EXPECT_NE(message.find(part), std::string::npos) << message;                        \
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;                        \
    }                                                                                     \
  } while (0)

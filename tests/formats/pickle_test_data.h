// Paths of the committed test files (tests/formats/data, written by
// tests/generators/make_hostile_pickles.py) and a tiny pickle byte-string builder.
#pragma once
#include <cstdint>
#include <string>

#include "formats/byte_view.h"
#include "test_support/shared_data.h"

namespace vit::test {

inline std::string pickle_data(const std::string& name) {
  return test_data("formats") + "/" + name;
}

// A string literal with its embedded NULs.
template <size_t N>
std::string bytes_of(const char (&s)[N]) {
  return std::string(s, N - 1);
}

inline ByteView view_of(const std::string& bytes) { return own_bytes(bytes); }

// Little-endian encodings used to spell opcode arguments.
inline std::string le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}
inline std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}
inline std::string binunicode(const std::string& s) { return "X" + le32(static_cast<uint32_t>(s.size())) + s; }

}  // namespace vit::test

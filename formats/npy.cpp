#include "npy.h"

#include <cstring>
#include <limits>

#include "atomic_file.h"
#include "error.h"
#include "le_bytes.h"
#include "mapped_file.h"
#include "npy_header.h"

namespace vit {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kAlign = 64;

struct NpyType {
  const char* code;  // descr without its byte-order character
  DType dtype;
};

constexpr NpyType kTypes[] = {
    {"f8", DType::F64}, {"f4", DType::F32}, {"f2", DType::F16}, {"i8", DType::I64}, {"i4", DType::I32},
    {"i2", DType::I16}, {"i1", DType::I8},  {"u1", DType::U8},  {"b1", DType::Bool},
};

DType dtype_from_descr(const std::string& descr, const std::string& where) {
  if (descr.size() < 2) fail(where, "unsupported .npy dtype '" + descr + "'");
  const char order = descr[0];
  const std::string code = descr.substr(1);
  if (code.find('O') != std::string::npos)
    fail(where, "object arrays (pickled Python objects) are not supported");
  for (const NpyType& t : kTypes) {
    if (code != t.code) continue;
    const bool one_byte = dtype_size(t.dtype) == 1;
    if (order == '<' || (order == '|' && one_byte)) return t.dtype;
    if (order == '>' || order == '!')
      fail(where, "big-endian dtype '" + descr + "' is not supported; save the array as little-endian");
    break;
  }
  fail(where, "unsupported .npy dtype '" + descr + "'");
}

std::string descr_of(DType dtype, const std::string& where) {
  for (const NpyType& t : kTypes)
    if (t.dtype == dtype) return std::string(dtype_size(dtype) == 1 ? "|" : "<") + t.code;
  fail(where, std::string("dtype ") + dtype_name(dtype) + " has no .npy equivalent");
}

// product(shape) * itemsize, or fails when it overflows. Like numpy, the non-zero dimensions
// must multiply to a representable size even when a zero makes the array empty: the strides
// are products of them.
uint64_t byte_count(const std::vector<int64_t>& shape, size_t itemsize, const std::string& where) {
  uint64_t n = itemsize;
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0) fail(where, "negative dimension");
    if (d == 0) {
      empty = true;
      continue;
    }
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / static_cast<uint64_t>(d))
      fail(where, "shape is too large");
    n *= static_cast<uint64_t>(d);
  }
  return empty ? 0 : n;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

StoredTensor NpyArray::tensor() const {
  StoredTensor t;
  t.dtype = dtype;
  t.shape = shape;
  if (fortran_order) {
    t.strides.resize(shape.size());
    int64_t s = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
      t.strides[i] = s;
      s *= shape[i];
    }
  } else {
    t.strides = contiguous_strides(shape);
  }
  t.storage = data;
  return t;
}

NpyArray parse_npy(ByteView bytes, const std::string& where) {
  if (bytes.size < kMagicSize + 2 || std::memcmp(bytes.data, kMagic, kMagicSize) != 0)
    fail(where, "not a .npy file (bad magic)");
  const uint8_t major = bytes.data[6];
  const uint8_t minor = bytes.data[7];
  if (major < 1 || major > 3 || minor != 0)
    fail(where, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor));
  const size_t length_size = major == 1 ? 2 : 4;
  const size_t prefix = kMagicSize + 2 + length_size;
  if (bytes.size < prefix) fail(where, "truncated .npy header");
  const uint64_t header_len = major == 1 ? load_le16(bytes.data + 8) : load_le32(bytes.data + 8);
  if (header_len > kMaxNpyHeaderBytes)
    fail(where, ".npy header of " + std::to_string(header_len) + " bytes exceeds the limit of " +
                    std::to_string(kMaxNpyHeaderBytes));
  if (header_len > bytes.size - prefix)
    fail(where, ".npy header of " + std::to_string(header_len) + " bytes runs past the end of the file");
  const std::string text(reinterpret_cast<const char*>(bytes.data + prefix), header_len);
  if (text.empty() || text.back() != '\n') fail(where, "malformed .npy header (must end with a newline)");
  // Versions 1 and 2 are latin-1, 3 is UTF-8; the keys and values we accept are ASCII.
  for (unsigned char c : text)
    if (c >= 0x80) fail(where, "malformed .npy header (non-ASCII byte)");
  const NpyHeader header = parse_npy_header(text, where);

  NpyArray array;
  array.dtype = dtype_from_descr(header.descr, where);
  array.shape = header.shape;
  array.fortran_order = header.fortran_order;
  const uint64_t expected = byte_count(array.shape, dtype_size(array.dtype), where);
  const uint64_t available = bytes.size - prefix - header_len;
  if (available != expected)
    fail(where, "data holds " + std::to_string(available) + " bytes but shape " + shape_text(array.shape) +
                    " of " + header.descr + " needs " + std::to_string(expected) +
                    (available > expected ? " (trailing bytes)" : " (truncated)"));
  array.data = bytes.slice(prefix + header_len, available, where);
  return array;
}

NpyArray read_npy(const std::string& path) { return parse_npy(map_file(path), path); }

void write_npy(const std::string& path, DType dtype, const std::vector<int64_t>& shape, const void* data) {
  NpyHeader header;
  header.descr = descr_of(dtype, path);
  header.shape = shape;
  if (shape.size() > kMaxNpyRank) fail(path, "more than " + std::to_string(kMaxNpyRank) + " dimensions");
  const uint64_t bytes = byte_count(shape, dtype_size(dtype), path);
  std::string text = format_npy_header(header);
  const size_t prefix = kMagicSize + 2 + 2;
  text.append(kAlign - (prefix + text.size() + 1) % kAlign, ' ');
  text += '\n';
  if (text.size() > 0xffff) fail(path, ".npy header is too long for version 1.0");
  std::string head(kMagic, kMagicSize);
  head += '\x01';
  head += '\x00';
  head += static_cast<char>(text.size() & 0xff);
  head += static_cast<char>(text.size() >> 8);
  head += text;
  write_file_atomically(path, [&](const auto& write) {
    write(head.data(), head.size());
    if (bytes) write(data, static_cast<size_t>(bytes));
  });
}

}  // namespace vit

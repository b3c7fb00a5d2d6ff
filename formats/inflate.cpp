#include "inflate.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "error.h"

namespace vit {

namespace {

struct InflateStream {
  z_stream z{};
  bool live = false;
  ~InflateStream() {
    if (live) inflateEnd(&z);
  }
};

constexpr size_t kMaxStep = size_t{1} << 30;  // zlib counts in 32-bit units
constexpr size_t kInitialBuffer = size_t{64} << 20;

}  // namespace

std::string inflate_raw(ByteView compressed, uint64_t expected_size, const std::string& where) {
  if (expected_size >= std::numeric_limits<size_t>::max() / 2)
    fail(where, "declared size " + std::to_string(expected_size) + " is too large");
  InflateStream s;
  if (inflateInit2(&s.z, -MAX_WBITS) != Z_OK) fail(where, "cannot initialise zlib inflate");
  s.live = true;

  // One byte past the expected size detects output that is too long. The buffer grows with the
  // actual output, so a false declared size costs nothing until bytes really arrive.
  const size_t limit = static_cast<size_t>(expected_size) + 1;
  std::string out;
  out.resize(std::min(limit, kInitialBuffer));
  size_t produced = 0;
  size_t consumed = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (produced == out.size()) {
      if (out.size() == limit) break;  // output already one byte too long
      out.resize(std::min(limit, out.size() * 2));
    }
    if (s.z.avail_in == 0) {
      size_t in_step = std::min(compressed.size - consumed, kMaxStep);
      s.z.next_in = const_cast<Bytef*>(compressed.data + consumed);
      s.z.avail_in = static_cast<uInt>(in_step);
      consumed += in_step;
    }
    size_t out_step = std::min(out.size() - produced, kMaxStep);
    s.z.next_out = reinterpret_cast<Bytef*>(&out[produced]);
    s.z.avail_out = static_cast<uInt>(out_step);
    rc = inflate(&s.z, Z_NO_FLUSH);
    produced += out_step - s.z.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      fail(where, std::string("corrupt deflate data: ") + (s.z.msg ? s.z.msg : "zlib error"));
    // Room for output but no input left and no end of stream: the data stops early.
    if (rc != Z_STREAM_END && s.z.avail_out != 0 && s.z.avail_in == 0 && consumed == compressed.size)
      fail(where, "deflate stream is truncated");
  }
  if (produced > expected_size)
    fail(where, "deflate data expands past its declared size of " + std::to_string(expected_size) +
                    " bytes");
  if (rc != Z_STREAM_END) fail(where, "deflate stream is truncated");
  if (produced < expected_size)
    fail(where, "deflate data gives " + std::to_string(produced) + " bytes, declared " +
                    std::to_string(expected_size));
  if (s.z.avail_in != 0 || consumed != compressed.size)
    fail(where, "bytes follow the end of the deflate stream");
  out.resize(produced);
  return out;
}

}  // namespace vit

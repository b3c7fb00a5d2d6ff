#include "engine/image/image_png_check.h"

#include <cstring>
#include <memory>
#include <vector>

#include <zlib.h>

#include "formats/crc32.h"
#include "formats/error.h"
#include "formats/quoted_name.h"

namespace vit {

namespace {

constexpr uint64_t kTrailingSlack = uint64_t{1} << 20;  // extra zeros seen in the wild

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Filtered bytes of one (sub)image: a filter byte per row plus the packed samples.
uint64_t raw_bytes(uint64_t w, uint64_t h, uint64_t bits_per_pixel) {
  if (w == 0 || h == 0) return 0;
  return ((w * bits_per_pixel + 7) / 8 + 1) * h;
}

uint64_t expected_raw_size(const uint8_t* ihdr, const std::string& where) {
  const uint64_t w = be32(ihdr), h = be32(ihdr + 4);
  const int depth = ihdr[8], color = ihdr[9], interlace = ihdr[12];
  int channels = 0;
  switch (color) {
    case 0: channels = 1; break;
    case 2: channels = 3; break;
    case 3: channels = 1; break;
    case 4: channels = 2; break;
    case 6: channels = 4; break;
    default: fail(where, "corrupt PNG: colour type " + std::to_string(color));
  }
  if (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16)
    fail(where, "corrupt PNG: bit depth " + std::to_string(depth));
  const uint64_t bpp = static_cast<uint64_t>(channels) * depth;
  if (interlace == 0) return raw_bytes(w, h, bpp);
  if (interlace != 1) fail(where, "corrupt PNG: interlace method " + std::to_string(interlace));
  static const int kAdam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                   {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
  uint64_t total = 0;
  for (const auto& p : kAdam7) {
    const uint64_t pw = w > uint64_t(p[0]) ? (w - p[0] + p[2] - 1) / p[2] : 0;
    const uint64_t ph = h > uint64_t(p[1]) ? (h - p[1] + p[3] - 1) / p[3] : 0;
    total += raw_bytes(pw, ph, bpp);
  }
  return total;
}

class Inflater {
 public:
  explicit Inflater(const std::string& where) : where_(where) {
    std::memset(&z_, 0, sizeof z_);
    if (inflateInit(&z_) != Z_OK) fail(where, "cannot start zlib");
  }
  ~Inflater() { inflateEnd(&z_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Feeds one IDAT chunk; returns true once the stream has ended.
  bool feed(const uint8_t* data, size_t size, uint64_t limit) {
    z_.next_in = const_cast<Bytef*>(data);
    z_.avail_in = static_cast<uInt>(size);
    while (z_.avail_in > 0 && !ended_) {
      z_.next_out = scratch_;
      z_.avail_out = sizeof scratch_;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) ended_ = true;
      else if (rc != Z_OK && rc != Z_BUF_ERROR)
        fail(where_, std::string("corrupt PNG image data: ") + (z_.msg ? z_.msg : "zlib error"));
      if (z_.total_out > limit)
        fail(where_, "corrupt PNG: the image data inflates to more than the " + std::to_string(limit) +
                         " bytes the image can use");
      if (rc == Z_BUF_ERROR && z_.avail_out != 0) break;  // needs the next chunk
    }
    return ended_;
  }
  uint64_t produced() const { return z_.total_out; }

 private:
  std::string where_;
  z_stream z_;
  Bytef scratch_[32768];
  bool ended_ = false;
};

}  // namespace

void check_png_structure(const uint8_t* data, size_t size, const std::string& where) {
  size_t pos = 8;
  uint64_t expected = 0;
  bool seen_idat = false, ended = false;
  std::unique_ptr<Inflater> inflater;
  while (true) {
    if (pos + 8 > size) fail(where, "truncated PNG: the data ends before the image is complete");
    const uint32_t length = be32(data + pos);
    const uint8_t* type = data + pos + 4;
    if (length > 0x7fffffffu) fail(where, "corrupt PNG: chunk length " + std::to_string(length));
    if (size - pos - 8 < uint64_t{length} + 4)
      fail(where, "truncated PNG: the data ends before the image is complete");
    const uint8_t* body = data + pos + 8;
    const bool is_idat = std::memcmp(type, "IDAT", 4) == 0;
    if (pos == 8) {
      if (std::memcmp(type, "IHDR", 4) != 0 || length != 13) fail(where, "corrupt PNG: no IHDR chunk first");
      expected = expected_raw_size(body, where);
    }
    if (!seen_idat && !is_idat && crc32_of(type, length + 4) != be32(body + length))
      fail(where, "corrupt PNG: bad checksum in the " +
                      quoted_name(std::string(reinterpret_cast<const char*>(type), 4)) + " chunk");
    if (is_idat) {
      if (!inflater) inflater = std::make_unique<Inflater>(where);
      seen_idat = true;
      if (!ended) ended = inflater->feed(body, length, expected + kTrailingSlack);
    } else if (std::memcmp(type, "IEND", 4) == 0) {
      break;
    }
    pos += 12 + size_t{length};
  }
  if (!seen_idat) fail(where, "corrupt PNG: no image data (IDAT)");
  if (!ended) fail(where, "corrupt PNG: the image data stream is incomplete");
  if (inflater->produced() < expected)
    fail(where, "corrupt PNG: the image data holds " + std::to_string(inflater->produced()) + " of the " +
                    std::to_string(expected) + " bytes the image needs");
}

}  // namespace vit

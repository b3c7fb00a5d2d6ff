#include "zip_builder.h"

#include <zlib.h>

#include <fstream>
#include <stdexcept>

namespace vit::test {

namespace {

constexpr uint32_t kEscape32 = 0xffffffffu;

void put16(std::string& s, uint64_t v) {
  for (int i = 0; i < 2; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put32(std::string& s, uint64_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string zip64_extra(const std::vector<uint64_t>& values) {
  std::string extra;
  put16(extra, 0x0001);
  put16(extra, values.size() * 8);
  for (uint64_t v : values) put64(extra, v);
  return extra;
}

uint32_t crc_of(const std::string& data) {
  return static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

}  // namespace

std::string deflate_raw(const std::string& data, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(&out[0]);
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

std::string deflate_zeros(uint64_t count, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  const std::string zeros(1 << 20, '\0');
  std::string out;
  char buffer[1 << 16];
  uint64_t left = count;
  int rc = Z_OK;
  do {
    const size_t n = left < zeros.size() ? static_cast<size_t>(left) : zeros.size();
    left -= n;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    z.avail_in = static_cast<uInt>(n);
    const int flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buffer);
      z.avail_out = sizeof(buffer);
      rc = deflate(&z, flush);
      out.append(buffer, sizeof(buffer) - z.avail_out);
    } while (z.avail_out == 0);
  } while (left > 0);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

uint32_t crc32_zeros(uint64_t count) {
  const std::string zeros(1 << 20, '\0');
  uLong c = 0;
  while (count > 0) {
    const size_t n = count < zeros.size() ? static_cast<size_t>(count) : zeros.size();
    c = crc32(c, reinterpret_cast<const Bytef*>(zeros.data()), static_cast<uInt>(n));
    count -= n;
  }
  return static_cast<uint32_t>(c);
}

namespace {

// What the local header, data descriptor and central record of one entry say.
struct EntryFacts {
  std::string payload;
  uint32_t crc;
  uint64_t csize, usize, offset;
  uint16_t flags;
};

EntryFacts facts_of(const ZipBuildEntry& e, uint64_t position) {
  EntryFacts f;
  f.payload = e.payload ? *e.payload : (e.method == 8 ? deflate_raw(e.data) : e.data);
  f.crc = e.crc ? *e.crc : crc_of(e.data);
  f.csize = e.compressed_size ? *e.compressed_size : f.payload.size();
  f.usize = e.uncompressed_size ? *e.uncompressed_size : e.data.size();
  f.offset = e.local_offset ? *e.local_offset : position;
  f.flags = static_cast<uint16_t>(e.extra_flags | (e.data_descriptor ? 8 : 0) | 0x800);
  return f;
}

void put_local_entry(std::string& out, const ZipBuildEntry& e, const EntryFacts& f) {
  const std::string& lname = e.local_name ? *e.local_name : e.name;
  const bool local64 = (e.zip64 || e.zip64_local_only) && !e.data_descriptor;
  const std::string extra = local64 ? zip64_extra({f.usize, f.csize}) : "";
  put32(out, 0x04034b50);
  put16(out, e.zip64 ? 45 : 20);
  put16(out, f.flags);
  put16(out, e.method);
  put16(out, 0);
  put16(out, 0x21);
  put32(out, e.data_descriptor ? 0 : f.crc);
  put32(out, e.data_descriptor ? 0 : (local64 ? kEscape32 : f.csize));
  put32(out, e.data_descriptor ? 0 : (local64 ? kEscape32 : f.usize));
  put16(out, lname.size());
  put16(out, extra.size());
  out += lname + extra + f.payload;
  if (!e.data_descriptor) return;
  put32(out, 0x08074b50);
  put32(out, f.crc);
  if (e.zip64) {
    put64(out, f.csize);
    put64(out, f.usize);
  } else {
    put32(out, f.csize);
    put32(out, f.usize);
  }
}

void put_central_record(std::string& central, const ZipBuildEntry& e, const EntryFacts& f) {
  const std::string extra = e.zip64 ? zip64_extra({f.usize, f.csize, f.offset}) : "";
  put32(central, 0x02014b50);
  put16(central, 0x031e);
  put16(central, e.zip64 ? 45 : 20);
  put16(central, f.flags);
  put16(central, e.method);
  put16(central, 0);
  put16(central, 0x21);
  put32(central, f.crc);
  put32(central, e.zip64 ? kEscape32 : f.csize);
  put32(central, e.zip64 ? kEscape32 : f.usize);
  put16(central, e.name.size());
  put16(central, extra.size());
  put16(central, 0);
  put16(central, 0);
  put16(central, 0);
  put32(central, 0);
  put32(central, e.zip64 ? kEscape32 : f.offset);
  central += e.name + extra;
}

void put_zip64_end(std::string& out, uint64_t count, uint64_t central_size, uint64_t cd_offset) {
  const uint64_t record = out.size();
  put32(out, 0x06064b50);
  put64(out, 44);
  put16(out, 45);
  put16(out, 45);
  put32(out, 0);
  put32(out, 0);
  put64(out, count);
  put64(out, count);
  put64(out, central_size);
  put64(out, cd_offset);
  put32(out, 0x07064b50);
  put32(out, 0);
  put64(out, record);
  put32(out, 1);
}

}  // namespace

std::string build_zip(const std::vector<ZipBuildEntry>& entries, const ZipBuildOptions& options) {
  std::string out, central;
  for (const ZipBuildEntry& e : entries) {
    const EntryFacts f = facts_of(e, out.size());
    if (!e.omit_local) put_local_entry(out, e, f);
    put_central_record(central, e, f);
  }
  const uint64_t cd_offset = out.size();
  const uint64_t count = options.entry_count ? *options.entry_count : entries.size();
  out += central;
  if (options.zip64_eocd) put_zip64_end(out, count, central.size(), cd_offset);
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, options.zip64_eocd ? 0xffff : count);
  put16(out, options.zip64_eocd ? 0xffff : count);
  put32(out, options.zip64_eocd ? kEscape32 : central.size());
  put32(out, options.zip64_eocd ? kEscape32 : cd_offset);
  put16(out, options.comment.size());
  out += options.comment;
  return out;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace vit::test

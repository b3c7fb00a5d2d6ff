#include "zip_reader.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>

#include "crc32.h"
#include "error.h"
#include "inflate.h"
#include "le_bytes.h"
#include "quoted_name.h"

namespace vit {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kDescriptorSig = 0x08074b50;

constexpr uint64_t kEocdSize = 22;
constexpr uint64_t kZip64LocatorSize = 20;
constexpr uint64_t kZip64EocdSize = 56;
constexpr uint64_t kCentralSize = 46;
constexpr uint64_t kLocalSize = 30;
constexpr uint64_t kMaxComment = 0xffff;

constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint32_t kEscape32 = 0xffffffffu;
constexpr uint16_t kEscape16 = 0xffffu;

constexpr uint16_t kFlagEncrypted = 1u << 0;
constexpr uint16_t kFlagDescriptor = 1u << 3;
constexpr uint16_t kFlagStrongEncryption = 1u << 6;
constexpr uint16_t kFlagMaskedDirectory = 1u << 13;

std::string range_string(uint64_t offset, uint64_t length) {
  return "[" + std::to_string(offset) + ", +" + std::to_string(length) + ")";
}

// True when [offset, offset + length) fits inside [0, limit).
bool fits(uint64_t offset, uint64_t length, uint64_t limit) {
  return offset <= limit && length <= limit - offset;
}

struct Directory {
  uint64_t count = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t end_bound = 0;  // the directory must end at or before this (zip64 record or EOCD)
};

Directory read_zip64_directory(const ByteView& file, uint64_t locator, const std::string& where) {
  const uint8_t* l = file.data + locator;
  if (load_le32(l + 4) != 0 || load_le32(l + 16) > 1) fail(where, "multi-disk archives are not supported");
  const uint64_t record = load_le64(l + 8);
  if (!fits(record, kZip64EocdSize, locator))
    fail(where, "zip64 end-of-central-directory record at " + std::to_string(record) +
                    " lies outside the file");
  const uint8_t* r = file.data + record;
  if (load_le32(r) != kZip64EocdSig) fail(where, "zip64 end-of-central-directory record is missing");
  const uint64_t record_size = load_le64(r + 4);
  if (record_size < kZip64EocdSize - 12 || !fits(record + 12, record_size, locator))
    fail(where, "zip64 end-of-central-directory record has a bad size");
  if (load_le32(r + 16) != 0 || load_le32(r + 20) != 0) fail(where, "multi-disk archives are not supported");
  Directory d;
  const uint64_t on_disk = load_le64(r + 24);
  d.count = load_le64(r + 32);
  if (on_disk != d.count) fail(where, "multi-disk archives are not supported");
  d.size = load_le64(r + 40);
  d.offset = load_le64(r + 48);
  d.end_bound = record;
  return d;
}

Directory find_directory(const ByteView& file, const std::string& where) {
  if (file.size < kEocdSize) fail(where, "too small to be a ZIP archive");
  // The end record is the last 22 bytes plus a comment of up to 64 KiB; scan backwards for
  // a signature whose comment length reaches exactly the end of the file.
  const uint64_t last = file.size - kEocdSize;
  const uint64_t first = last > kMaxComment ? last - kMaxComment : 0;
  uint64_t eocd = UINT64_MAX;
  for (uint64_t pos = last + 1; pos-- > first;) {
    const uint8_t* p = file.data + pos;
    if (load_le32(p) == kEocdSig && pos + kEocdSize + load_le16(p + 20) == file.size) {
      eocd = pos;
      break;
    }
  }
  if (eocd == UINT64_MAX) fail(where, "no ZIP end-of-central-directory record (not a ZIP archive, or truncated)");
  const uint8_t* e = file.data + eocd;
  if (eocd >= kZip64LocatorSize && load_le32(e - kZip64LocatorSize) == kZip64LocatorSig)
    return read_zip64_directory(file, eocd - kZip64LocatorSize, where);
  if (load_le16(e + 4) != 0 || load_le16(e + 6) != 0 || load_le16(e + 8) != load_le16(e + 10))
    fail(where, "multi-disk archives are not supported");
  Directory d;
  d.count = load_le16(e + 10);
  d.size = load_le32(e + 12);
  d.offset = load_le32(e + 16);
  d.end_bound = eocd;
  return d;
}

struct ExtraField {
  bool present = false;
  ByteView data;
};

// Finds the zip64 extended-information field in an extra block.
ExtraField find_zip64_extra(const ByteView& extra, const std::string& where, const std::string& entry) {
  ExtraField found;
  uint64_t pos = 0;
  while (extra.size - pos >= 4) {
    const uint16_t id = load_le16(extra.data + pos);
    const uint16_t size = load_le16(extra.data + pos + 2);
    if (size > extra.size - pos - 4) fail(where, "entry " + entry + ": malformed extra field");
    if (id == kZip64ExtraId) {
      if (found.present) fail(where, "entry " + entry + ": two zip64 extra fields");
      found.present = true;
      found.data = ByteView{extra.data + pos + 4, size, nullptr};
    }
    pos += 4 + size;
  }
  return found;
}

// Reads the next 8-byte value of a zip64 extra field for a header field that holds the escape.
uint64_t next_zip64_value(const ExtraField& zip64, uint64_t* cursor, const std::string& where,
                          const std::string& entry) {
  if (!zip64.present) fail(where, "entry " + entry + ": size field says zip64 but there is no zip64 extra field");
  if (zip64.data.size < *cursor + 8) fail(where, "entry " + entry + ": zip64 extra field is too short");
  uint64_t v = load_le64(zip64.data.data + *cursor);
  *cursor += 8;
  return v;
}

void check_name(const std::string& name, const std::string& where) {
  if (name.empty()) fail(where, "an entry has an empty name");
  if (name.find('\0') != std::string::npos) fail(where, "entry " + quoted_name(name) + ": name contains a NUL byte");
  if (name[0] == '/' || name[0] == '\\') fail(where, "entry " + quoted_name(name) + ": absolute path");
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of("/\\", start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0)
      fail(where, "entry " + quoted_name(name) + ": name contains a '..' path component");
    start = end + 1;
  }
}

const char* method_name(uint16_t method) {
  switch (method) {
    case 1: return " (shrink)";
    case 6: return " (implode)";
    case 9: return " (deflate64)";
    case 12: return " (bzip2)";
    case 14: return " (lzma)";
    case 93: return " (zstd)";
    case 95: return " (xz)";
    default: return "";
  }
}

struct CentralRecord {
  ZipEntry entry;
  uint16_t flags = 0;
};

CentralRecord read_central_record(const ByteView& file, uint64_t* pos, uint64_t end, const std::string& where) {
  if (!fits(*pos, kCentralSize, end)) fail(where, "central directory is truncated");
  const uint8_t* c = file.data + *pos;
  if (load_le32(c) != kCentralSig)
    fail(where, "bad central directory header signature at offset " + std::to_string(*pos));
  CentralRecord rec;
  ZipEntry& e = rec.entry;
  rec.flags = load_le16(c + 8);
  e.method = load_le16(c + 10);
  e.crc32 = load_le32(c + 16);
  uint64_t csize = load_le32(c + 20);
  uint64_t usize = load_le32(c + 24);
  const uint16_t name_len = load_le16(c + 28);
  const uint16_t extra_len = load_le16(c + 30);
  const uint16_t comment_len = load_le16(c + 32);
  uint32_t disk = load_le16(c + 34);
  uint64_t offset = load_le32(c + 42);
  const uint64_t variable = uint64_t{name_len} + extra_len + comment_len;
  if (!fits(*pos + kCentralSize, variable, end)) fail(where, "central directory is truncated");
  e.name.assign(reinterpret_cast<const char*>(c + kCentralSize), name_len);
  const std::string entry = quoted_name(e.name);
  ByteView extra{c + kCentralSize + name_len, extra_len, nullptr};
  *pos += kCentralSize + variable;

  const ExtraField zip64 = find_zip64_extra(extra, where, entry);
  uint64_t cursor = 0;
  if (usize == kEscape32) usize = next_zip64_value(zip64, &cursor, where, entry);
  if (csize == kEscape32) csize = next_zip64_value(zip64, &cursor, where, entry);
  if (offset == kEscape32) offset = next_zip64_value(zip64, &cursor, where, entry);
  if (disk == kEscape16) {
    if (!zip64.present || zip64.data.size < cursor + 4)
      fail(where, "entry " + entry + ": zip64 extra field is too short");
    disk = load_le32(zip64.data.data + cursor);
  }
  if (disk != 0) fail(where, "entry " + entry + ": multi-disk archives are not supported");
  e.compressed_size = csize;
  e.uncompressed_size = usize;
  e.local_header_offset = offset;

  if (rec.flags & (kFlagEncrypted | kFlagStrongEncryption | kFlagMaskedDirectory) || e.method == 99)
    fail(where, "entry " + entry + ": encrypted entries are not supported");
  if (e.method != 0 && e.method != 8)
    fail(where, "entry " + entry + ": unsupported compression method " + std::to_string(e.method) +
                    method_name(e.method) + "; only stored (0) and deflate (8) are supported");
  return rec;
}

void check_sizes(const ZipEntry& e, const ByteView& file, const ZipLimits& limits, const std::string& where) {
  const std::string entry = quoted_name(e.name);
  if (e.compressed_size > file.size)
    fail(where, "entry " + entry + ": declares " + std::to_string(e.compressed_size) +
                    " bytes of data but the file has only " + std::to_string(file.size));
  if (e.method == 0 && e.compressed_size != e.uncompressed_size)
    fail(where, "entry " + entry + ": stored entry with compressed size " + std::to_string(e.compressed_size) +
                    " != uncompressed size " + std::to_string(e.uncompressed_size));
  if (e.method == 8) {
    if (e.uncompressed_size > limits.max_inflated_bytes)
      fail(where, "entry " + entry + ": inflates to " + std::to_string(e.uncompressed_size) +
                      " bytes, over the limit of " + std::to_string(limits.max_inflated_bytes));
    if (static_cast<double>(e.uncompressed_size) >
        limits.max_inflate_ratio * static_cast<double>(e.compressed_size))
      fail(where, "entry " + entry + ": compression ratio " + std::to_string(e.uncompressed_size) + ":" +
                      std::to_string(e.compressed_size) + " exceeds the limit of " +
                      std::to_string(static_cast<int64_t>(limits.max_inflate_ratio)) + ":1 (zip bomb?)");
  }
}

// Length of the data descriptor after an entry's data (0 without one). It may or may not
// start with a signature and holds 4- or 8-byte sizes; the variant matching the central
// directory is the one used.
uint64_t descriptor_length(const ZipEntry& e, const ByteView& file, uint64_t data_end, uint64_t bound,
                           const std::string& where) {
  const std::string entry = quoted_name(e.name);
  for (uint64_t sig : {4, 0}) {
    if (sig && (!fits(data_end, 4, bound) || load_le32(file.data + data_end) != kDescriptorSig)) continue;
    for (uint64_t width : {4, 8}) {
      const uint64_t length = sig + 4 + 2 * width;
      if (!fits(data_end, length, bound)) continue;
      const uint8_t* d = file.data + data_end + sig;
      const uint64_t csize = width == 4 ? load_le32(d + 4) : load_le64(d + 4);
      const uint64_t usize = width == 4 ? load_le32(d + 8) : load_le64(d + 4 + width);
      if (load_le32(d) == e.crc32 && csize == e.compressed_size && usize == e.uncompressed_size) return length;
    }
  }
  fail(where, "entry " + entry + ": data descriptor is missing or disagrees with the central directory");
}

// Validates the local header against the central record; fills data_offset; returns where
// the entry (data descriptor included) ends.
uint64_t read_local_header(ZipEntry& e, uint16_t central_flags, const ByteView& file, uint64_t bound,
                           const std::string& where) {
  const std::string entry = quoted_name(e.name);
  if (!fits(e.local_header_offset, kLocalSize, bound))
    fail(where, "entry " + entry + ": local header offset " + std::to_string(e.local_header_offset) +
                    " is past the end of the entry area (" + std::to_string(bound) + " bytes)");
  const uint8_t* l = file.data + e.local_header_offset;
  if (load_le32(l) != kLocalSig) fail(where, "entry " + entry + ": bad local header signature");
  const uint16_t flags = load_le16(l + 6);
  const uint16_t method = load_le16(l + 8);
  const uint32_t crc = load_le32(l + 14);
  uint64_t csize = load_le32(l + 18);
  uint64_t usize = load_le32(l + 22);
  const uint16_t name_len = load_le16(l + 26);
  const uint16_t extra_len = load_le16(l + 28);
  if (!fits(e.local_header_offset + kLocalSize, uint64_t{name_len} + extra_len, bound))
    fail(where, "entry " + entry + ": local header runs past the end of the entry area");
  if (name_len != e.name.size() || std::memcmp(l + kLocalSize, e.name.data(), name_len) != 0)
    fail(where, "entry " + entry + ": local header names " +
                    quoted_name(std::string(reinterpret_cast<const char*>(l + kLocalSize), name_len)) +
                    ", the central directory disagrees");
  if (method != e.method) fail(where, "entry " + entry + ": local header and central directory disagree on the method");
  if (flags & (kFlagEncrypted | kFlagStrongEncryption))
    fail(where, "entry " + entry + ": encrypted entries are not supported");
  if ((flags & kFlagDescriptor) != (central_flags & kFlagDescriptor))
    fail(where, "entry " + entry + ": local header and central directory disagree on the flags");
  e.data_offset = e.local_header_offset + kLocalSize + name_len + extra_len;

  if (!(flags & kFlagDescriptor)) {
    // Without a data descriptor the local header repeats the sizes and the CRC.
    ByteView extra{l + kLocalSize + name_len, extra_len, nullptr};
    const ExtraField zip64 = find_zip64_extra(extra, where, entry);
    uint64_t cursor = 0;
    if (usize == kEscape32) usize = next_zip64_value(zip64, &cursor, where, entry);
    if (csize == kEscape32) {
      if (cursor == 0 && zip64.present && zip64.data.size >= 16) cursor = 8;  // both sizes are present
      csize = next_zip64_value(zip64, &cursor, where, entry);
    }
    if (crc != e.crc32 || csize != e.compressed_size || usize != e.uncompressed_size)
      fail(where, "entry " + entry + ": local header and central directory disagree on size or CRC");
  }
  if (!fits(e.data_offset, e.compressed_size, bound))
    fail(where, "entry " + entry + ": data " + range_string(e.data_offset, e.compressed_size) +
                    " runs past the end of the entry area (" + std::to_string(bound) + " bytes)");
  const uint64_t data_end = e.data_offset + e.compressed_size;
  if (!(flags & kFlagDescriptor)) return data_end;
  return data_end + descriptor_length(e, file, data_end, bound, where);
}

}  // namespace

ZipArchive ZipArchive::open(ByteView file, const std::string& where, const ZipLimits& limits) {
  const Directory dir = find_directory(file, where);
  if (!fits(dir.offset, dir.size, dir.end_bound))
    fail(where, "central directory " + range_string(dir.offset, dir.size) + " lies outside the file");
  if (dir.count > limits.max_entries)
    fail(where, "archive declares " + std::to_string(dir.count) + " entries, over the limit of " +
                    std::to_string(limits.max_entries));
  if (dir.count > dir.size / kCentralSize)
    fail(where, "archive declares " + std::to_string(dir.count) + " entries but its central directory holds " +
                    std::to_string(dir.size) + " bytes");

  ZipArchive archive;
  archive.file_ = file;
  archive.where_ = where;
  archive.limits_ = limits;
  std::vector<uint16_t> flags;
  archive.entries_.reserve(dir.count);
  flags.reserve(dir.count);
  uint64_t pos = dir.offset;
  const uint64_t dir_end = dir.offset + dir.size;
  for (uint64_t i = 0; i < dir.count; ++i) {
    CentralRecord rec = read_central_record(file, &pos, dir_end, where);
    check_name(rec.entry.name, where);
    check_sizes(rec.entry, file, limits, where);
    if (!archive.index_.emplace(rec.entry.name, archive.entries_.size()).second)
      fail(where, "duplicate entry name " + quoted_name(rec.entry.name));
    archive.entries_.push_back(std::move(rec.entry));
    flags.push_back(rec.flags);
  }
  if (pos != dir_end) fail(where, "central directory size does not match its entries");

  // Each entry spans [local header, end of data or descriptor); spans must not overlap each
  // other, and all must end before the central directory.
  std::vector<std::pair<uint64_t, uint64_t>> spans;  // (start, end) ...
  std::vector<size_t> owners;
  spans.reserve(archive.entries_.size());
  for (size_t i = 0; i < archive.entries_.size(); ++i) {
    ZipEntry& e = archive.entries_[i];
    spans.emplace_back(e.local_header_offset, read_local_header(e, flags[i], file, dir.offset, where));
  }
  std::vector<size_t> order(spans.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return spans[a].first < spans[b].first; });
  for (size_t k = 1; k < order.size(); ++k) {
    const size_t prev = order[k - 1];
    const size_t cur = order[k];
    if (spans[prev].second > spans[cur].first)
      fail(where, "entries " + quoted_name(archive.entries_[prev].name) + " and " +
                      quoted_name(archive.entries_[cur].name) + " overlap");
  }
  return archive;
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

ByteView ZipArchive::read(const ZipEntry& entry) const {
  const std::string where = where_ + ": entry " + quoted_name(entry.name);
  ByteView raw = file_.slice(entry.data_offset, entry.compressed_size, where);
  ByteView out;
  if (entry.method == 0) {
    if (entry.compressed_size != entry.uncompressed_size) fail(where, "stored entry sizes disagree");
    out = raw;
  } else if (entry.method == 8) {
    out = own_bytes(inflate_raw(raw, entry.uncompressed_size, where));
  } else {
    fail(where, "unsupported compression method " + std::to_string(entry.method));
  }
  const uint32_t crc = crc32_of(out.data, out.size);
  if (crc != entry.crc32) fail(where, "CRC-32 mismatch (data is corrupt)");
  return out;
}

bool looks_like_zip(ByteView bytes) {
  if (bytes.size < 4) return false;
  const uint32_t sig = load_le32(bytes.data);
  return sig == kLocalSig || sig == kEocdSig;
}

}  // namespace vit

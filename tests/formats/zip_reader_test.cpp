#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "formats/mapped_file.h"
#include "formats/zip_reader.h"
#include "test_support/shared_data.h"
#include "zip_builder.h"

namespace fs = std::filesystem;
using vit::test::ZipBuildEntry;
using vit::test::ZipBuildOptions;

namespace {

const char kWhere[] = "forged.zip";

vit::ZipArchive open_bytes(const std::string& bytes, const vit::ZipLimits& limits = {}) {
  return vit::ZipArchive::open(vit::own_bytes(bytes), kWhere, limits);
}

std::string read_entry(const vit::ZipArchive& zip, const std::string& name) {
  const vit::ZipEntry* e = zip.find(name);
  if (!e) throw std::runtime_error("no entry " + name);
  return zip.read(*e).str();
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 13) & 0xff);
  return s;
}

}  // namespace

TEST(ZipReader, EveryTorchFixtureOpensWithTheDocumentedMembers) {
  VIT_REQUIRE_SHARED();
  int checked = 0;
  for (const auto& dir : fs::directory_iterator(vit::test::fixtures_dir())) {
    if (!dir.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(dir.path())) {
      const std::string name = file.path().filename().string();
      const bool is_tar = name.size() > 8 && name.compare(name.size() - 8, 8, ".pth.tar") == 0;
      if (name != "pytorch_model.bin" && !is_tar) continue;
      const std::string path = file.path().string();
      SCOPED_TRACE(path);
      vit::ByteView bytes = vit::map_file(path);
      if (dir.path().filename() == "legacy_format") {
        EXPECT_FALSE(vit::looks_like_zip(bytes));
        EXPECT_THROW(vit::ZipArchive::open(bytes, path), vit::Error);
        continue;
      }
      ASSERT_TRUE(vit::looks_like_zip(bytes));
      vit::ZipArchive zip = vit::ZipArchive::open(bytes, path);
      ASSERT_FALSE(zip.entries().empty());
      const std::string prefix = zip.entries()[0].name.substr(0, zip.entries()[0].name.find('/'));
      EXPECT_EQ(prefix, is_tar ? "tmp.pth" : "pytorch_model");
      ASSERT_NE(zip.find(prefix + "/data.pkl"), nullptr);
      ASSERT_NE(zip.find(prefix + "/version"), nullptr);
      EXPECT_EQ(read_entry(zip, prefix + "/version").substr(0, 1), "3");
      int storages = 0;
      for (const vit::ZipEntry& e : zip.entries()) {
        EXPECT_EQ(e.name.compare(0, prefix.size() + 1, prefix + "/"), 0) << e.name;
        EXPECT_EQ(e.method, 0);
        vit::ByteView data = zip.read(e);  // checks the CRC
        EXPECT_EQ(data.size, e.uncompressed_size);
        EXPECT_EQ(data.data, bytes.data + e.data_offset);  // zero-copy
        if (e.name.compare(0, prefix.size() + 6, prefix + "/data/") == 0) ++storages;
      }
      EXPECT_GT(storages, 0);
      EXPECT_EQ(zip.find("nope"), nullptr);
      ++checked;
    }
  }
  EXPECT_GE(checked, 18);
}

TEST(ZipReader, StoredAndDeflateEntriesWithAndWithoutDescriptors) {
  std::vector<ZipBuildEntry> entries;
  for (int method : {0, 8}) {
    for (bool descriptor : {false, true}) {
      ZipBuildEntry e;
      e.name = "dir/m" + std::to_string(method) + (descriptor ? "_dd" : "");
      e.data = pattern(10000 + method);
      e.method = static_cast<uint16_t>(method);
      e.data_descriptor = descriptor;
      entries.push_back(e);
    }
  }
  ZipBuildEntry empty;
  empty.name = "empty";
  entries.push_back(empty);
  vit::ZipArchive zip = open_bytes(vit::test::build_zip(entries, {false, std::nullopt, "a comment"}));
  ASSERT_EQ(zip.entries().size(), entries.size());
  for (const ZipBuildEntry& e : entries) EXPECT_EQ(read_entry(zip, e.name), e.data) << e.name;
  EXPECT_EQ(zip.find("dir/m8")->method, 8);
  EXPECT_LT(zip.find("dir/m8")->compressed_size, 10008u);
}

TEST(ZipReader, Zip64RecordsAndExtraFields) {
  std::vector<ZipBuildEntry> entries(3);
  entries[0].name = "a.bin";
  entries[0].data = pattern(3000);
  entries[0].zip64 = true;
  entries[1].name = "b.bin";
  entries[1].data = pattern(5000);
  entries[1].zip64 = true;
  entries[1].method = 8;
  entries[2].name = "c.bin";
  entries[2].data = pattern(70);
  entries[2].zip64 = true;
  entries[2].data_descriptor = true;
  ZipBuildOptions options;
  options.zip64_eocd = true;
  vit::ZipArchive zip = open_bytes(vit::test::build_zip(entries, options));
  ASSERT_EQ(zip.entries().size(), 3u);
  for (const ZipBuildEntry& e : entries) EXPECT_EQ(read_entry(zip, e.name), e.data);
}

TEST(ZipReader, EmptyArchive) {
  vit::ZipArchive zip = open_bytes(vit::test::build_zip({}));
  EXPECT_TRUE(zip.entries().empty());
  EXPECT_TRUE(vit::looks_like_zip(vit::own_bytes(vit::test::build_zip({}))));
  EXPECT_FALSE(vit::looks_like_zip(vit::own_bytes("\x93NUMPY")));
}

TEST(ZipReader, ErrorsNameTheMappedFile) {
  const std::string dir = vit::test::scratch_dir("zip");
  const std::string path = dir + "/bad.zip";
  vit::test::write_bytes(path, "PK\x03\x04 this is not really a zip archive");
  EXPECT_VIT_ERROR(vit::ZipArchive::open(vit::map_file(path), path), path, "end-of-central-directory");
  vit::test::write_bytes(path, "");
  EXPECT_VIT_ERROR(vit::ZipArchive::open(vit::map_file(path), path), path, "too small");
}

TEST(ZipReader, CrcMismatchIsRefusedOnRead) {
  for (int method : {0, 8}) {
    ZipBuildEntry e;
    e.name = "x";
    e.data = pattern(1000);
    e.method = static_cast<uint16_t>(method);
    e.crc = 0x12345678;
    vit::ZipArchive zip = open_bytes(vit::test::build_zip({e}));
    EXPECT_VIT_ERROR(zip.read(zip.entries()[0]), kWhere, "CRC-32 mismatch");
  }
}

TEST(ZipReader, EntryClaimingATerabyteIsRefused) {
  ZipBuildEntry e;
  e.name = "huge";
  e.data = "small";
  e.zip64 = true;
  e.compressed_size = uint64_t{1} << 40;
  e.uncompressed_size = uint64_t{1} << 40;
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e})), kWhere, "1099511627776");
  e.zip64 = false;
  e.compressed_size = 0xfffffff0u;
  e.uncompressed_size = 0xfffffff0u;
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e})), kWhere, "the file has only");
}

namespace {

const std::string& gigabyte_of_zeros_deflated() {
  static const std::string bytes = vit::test::deflate_zeros(uint64_t{1} << 30, 1);
  return bytes;
}

}  // namespace

TEST(ZipReader, DeflateBombDeclaredSmallStopsEarly) {
  ZipBuildEntry e;
  e.name = "bomb";
  e.method = 8;
  e.payload = gigabyte_of_zeros_deflated();
  e.uncompressed_size = 1000;
  e.crc = vit::test::crc32_zeros(1000);
  vit::ZipArchive zip = open_bytes(vit::test::build_zip({e}));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_VIT_ERROR(zip.read(zip.entries()[0]), kWhere, "expands past its declared size of 1000");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 0.5);
}

TEST(ZipReader, DeflateBombDeclaredHugeIsRefusedByTheLimits) {
  ZipBuildEntry e;
  e.name = "bomb";
  e.method = 8;
  e.payload = gigabyte_of_zeros_deflated();
  e.zip64 = true;
  e.crc = 0;
  // Declared honestly (1 GiB): over an explicit size limit.
  e.uncompressed_size = uint64_t{1} << 30;
  vit::ZipLimits limits;
  limits.max_inflated_bytes = uint64_t{256} << 20;
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e}), limits), kWhere, "over the limit");
  // Declared beyond what deflate can reach: refused by the ratio before any inflating.
  e.uncompressed_size = uint64_t{1} << 40;
  limits = vit::ZipLimits{};
  limits.max_inflated_bytes = uint64_t{1} << 41;
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e}), limits), kWhere, "compression ratio");
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e})), kWhere, "over the limit");
}

TEST(ZipReader, DeflateOutputShorterThanDeclaredIsRefused) {
  ZipBuildEntry e;
  e.name = "short";
  e.method = 8;
  e.data = pattern(4000);
  e.uncompressed_size = 4001;
  vit::ZipArchive zip = open_bytes(vit::test::build_zip({e}));
  EXPECT_VIT_ERROR(zip.read(zip.entries()[0]), kWhere, "gives 4000 bytes, declared 4001");
}

TEST(ZipReader, CorruptOrTruncatedDeflateIsRefused) {
  ZipBuildEntry e;
  e.name = "cut";
  e.method = 8;
  e.data = pattern(4000);
  std::string deflated = vit::test::deflate_raw(e.data);
  e.payload = deflated.substr(0, deflated.size() / 2);
  vit::ZipArchive zip = open_bytes(vit::test::build_zip({e}));
  EXPECT_VIT_ERROR(zip.read(zip.entries()[0]), kWhere, "truncated");

  e.payload = deflated + "junk";
  zip = open_bytes(vit::test::build_zip({e}));
  EXPECT_VIT_ERROR(zip.read(zip.entries()[0]), kWhere, "follow the end");

  e.payload = std::string(100, '\xff');
  zip = open_bytes(vit::test::build_zip({e}));
  EXPECT_VIT_ERROR(zip.read(zip.entries()[0]), kWhere, "corrupt deflate");
}

TEST(ZipReader, OverlappingEntriesAreRefused) {
  // Entry b's central record points inside entry a's data, where a forged local header sits.
  ZipBuildEntry inner;
  inner.name = "b";
  inner.data = "hidden";
  const std::string inner_record = vit::test::build_zip({inner});
  ZipBuildEntry a;
  a.name = "a";
  a.data = inner_record.substr(0, 30 + 1 + 6);  // local header + name + data of b
  ZipBuildEntry b = inner;
  b.omit_local = true;
  b.local_offset = 30 + 1;  // a's data
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({a, b})), kWhere, "overlap");

  // Two central records sharing one local header, under the same name.
  ZipBuildEntry twin = a;
  twin.omit_local = true;
  twin.local_offset = 0;
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({a, twin})), kWhere, "duplicate");
}

TEST(ZipReader, EntryOverlappingTheCentralDirectoryIsRefused) {
  ZipBuildEntry e;
  e.name = "a";
  e.data = pattern(100);
  e.compressed_size = 120;
  e.uncompressed_size = 120;
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e})), kWhere, "past the end of the entry area");
  e = ZipBuildEntry{};
  e.name = "a";
  e.data = "x";
  e.omit_local = true;
  e.local_offset = 0;  // the central directory itself
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e})), kWhere, "local header offset");
}

TEST(ZipReader, DuplicateNamesAreRefused) {
  ZipBuildEntry a;
  a.name = "same";
  a.data = "1";
  ZipBuildEntry b = a;
  b.data = "2";
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({a, b})), kWhere, "duplicate entry name \"same\"");
}

TEST(ZipReader, UnsafeNamesAreRefused) {
  for (const std::string name : {"../evil", "a/../../evil", "a/..", "..", "/etc/passwd", "a\\..\\b", ""}) {
    ZipBuildEntry e;
    e.name = name;
    e.data = "x";
    SCOPED_TRACE(name);
    EXPECT_THROW(
        {
          try {
            open_bytes(vit::test::build_zip({e}));
          } catch (const vit::Error& error) {
            EXPECT_EQ(std::string(error.what()).rfind(std::string(kWhere) + ": ", 0), 0u);
            throw;
          }
        },
        vit::Error);
  }
  ZipBuildEntry ok;
  ok.name = "a..b/..c/d..";
  ok.data = "fine";
  EXPECT_EQ(read_entry(open_bytes(vit::test::build_zip({ok})), ok.name), "fine");
  ZipBuildEntry control;
  control.name = "bad\nname/../x";
  control.data = "x";
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({control})), kWhere, "\"bad\\x0aname/../x\"");
}

TEST(ZipReader, EncryptedAndUnsupportedMethodsAreRefused) {
  ZipBuildEntry e;
  e.name = "secret";
  e.data = "x";
  e.extra_flags = 1;
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e})), kWhere, "encrypted");
  e.extra_flags = 0;
  e.method = 12;
  e.payload = "whatever";
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e})), kWhere, "unsupported compression method 12 (bzip2)");
  e.method = 99;
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e})), kWhere, "encrypted");
}

TEST(ZipReader, LocalHeaderMustMatchTheCentralDirectory) {
  ZipBuildEntry e;
  e.name = "weights.bin";
  e.data = pattern(64);
  e.local_name = "other.bin";
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e})), kWhere, "local header names \"other.bin\"");
  e.local_name = "weights.bi";
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e})), kWhere, "central directory disagrees");
}

TEST(ZipReader, DataDescriptorMustMatchTheCentralDirectory) {
  ZipBuildEntry e;
  e.name = "dd";
  e.data = pattern(64);
  e.data_descriptor = true;
  std::string bytes = vit::test::build_zip({e});
  const size_t descriptor = 30 + 2 + 64;
  bytes[descriptor + 4] ^= 1;  // the CRC in the descriptor
  EXPECT_VIT_ERROR(open_bytes(bytes), kWhere, "data descriptor");
}

TEST(ZipReader, AbsurdEntryCountsAreRefused) {
  ZipBuildEntry e;
  e.name = "a";
  e.data = "x";
  ZipBuildOptions options;
  options.zip64_eocd = true;
  options.entry_count = uint64_t{1} << 40;
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e}, options)), kWhere, "over the limit");
  options.entry_count = 1000;
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e}, options)), kWhere, "declares 1000 entries");
  options.zip64_eocd = false;
  options.entry_count = 2;
  EXPECT_VIT_ERROR(open_bytes(vit::test::build_zip({e}, options)), kWhere, "entries");
}

TEST(ZipReader, TruncationsAndBitFlipsNeverCrash) {
  std::vector<ZipBuildEntry> entries(3);
  entries[0].name = "a";
  entries[0].data = pattern(300);
  entries[1].name = "b";
  entries[1].data = pattern(500);
  entries[1].method = 8;
  entries[1].zip64 = true;
  entries[2].name = "c";
  entries[2].data = pattern(50);
  entries[2].data_descriptor = true;
  ZipBuildOptions options;
  options.zip64_eocd = true;
  const std::string good = vit::test::build_zip(entries, options);
  auto try_all = [](const std::string& bytes) {
    try {
      vit::ZipArchive zip = open_bytes(bytes);
      for (const vit::ZipEntry& e : zip.entries()) zip.read(e);
    } catch (const vit::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(std::string(kWhere) + ": ", 0), 0u) << e.what();
    }
  };
  for (size_t cut = 0; cut < good.size(); ++cut) try_all(good.substr(0, cut));
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit : {0, 7}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      try_all(bad);
    }
    std::string bad = good;
    bad[i] = '\xff';
    try_all(bad);
  }
}

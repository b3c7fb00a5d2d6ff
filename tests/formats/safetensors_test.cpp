#include <cstring>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "formats/error.h"
#include "formats/mapped_file.h"
#include "formats/safetensors.h"
#include "test_support/shared_data.h"
#include "zip_builder.h"

namespace fs = std::filesystem;

namespace {

const char kWhere[] = "forged.safetensors";

// A safetensors image from a header text, with the length field forged when asked.
std::string forge(const std::string& header, const std::string& data, std::optional<uint64_t> length = {}) {
  const uint64_t n = length ? *length : header.size();
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

vit::SafetensorsFile parse(const std::string& bytes, const vit::SafetensorsLimits& limits = {}) {
  return vit::SafetensorsFile::parse(vit::own_bytes(bytes), kWhere, limits);
}

std::string entry(const std::string& name, const std::string& dtype, const std::string& shape, uint64_t begin,
                  uint64_t end) {
  return "\"" + name + "\": {\"dtype\": \"" + dtype + "\", \"shape\": " + shape + ", \"data_offsets\": [" +
         std::to_string(begin) + ", " + std::to_string(end) + "]}";
}

}  // namespace

TEST(Safetensors, RoundTripIsBitExactWithMetadata) {
  const std::string dir = vit::test::scratch_dir("st");
  std::mt19937 rng(11);
  const vit::DType dtypes[] = {vit::DType::F64, vit::DType::F32, vit::DType::F16, vit::DType::BF16, vit::DType::I64,
                               vit::DType::I32, vit::DType::I16, vit::DType::I8,  vit::DType::U8,   vit::DType::Bool};
  const std::vector<std::vector<int64_t>> shapes = {{}, {7}, {2, 3}, {0, 3}, {2, 1, 3, 2}};
  std::vector<std::string> buffers;
  std::vector<vit::SafetensorsEntry> entries;
  for (vit::DType dtype : dtypes) {
    for (size_t s = 0; s < shapes.size(); ++s) {
      int64_t n = 1;
      for (int64_t d : shapes[s]) n *= d;
      std::string data(static_cast<size_t>(n) * vit::dtype_size(dtype), '\0');
      for (char& c : data) c = static_cast<char>(dtype == vit::DType::Bool ? rng() & 1 : rng() & 0xff);
      buffers.push_back(data);
      // Names deliberately out of order.
      entries.push_back({"t" + std::to_string(9 - s) + "." + vit::dtype_name(dtype), dtype, shapes[s], nullptr,
                         data.size()});
    }
  }
  for (size_t i = 0; i < entries.size(); ++i) entries[i].data = buffers[i].data();
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "r\xc3\xa9sum\xc3\xa9 \"quoted\""}};
  const std::string path = dir + "/a.safetensors";
  vit::write_safetensors(path, entries, metadata);

  const vit::SafetensorsFile file = vit::SafetensorsFile::open(path);
  EXPECT_EQ(file.metadata(), metadata);
  ASSERT_EQ(file.tensors().size(), entries.size());
  for (size_t i = 1; i < file.tensors().size(); ++i)
    EXPECT_LT(file.tensors()[i - 1].first, file.tensors()[i].first);  // data laid out in name order
  for (size_t i = 0; i < entries.size(); ++i) {
    SCOPED_TRACE(entries[i].name);
    const vit::StoredTensor* t = file.find(entries[i].name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->dtype, entries[i].dtype);
    EXPECT_EQ(t->shape, entries[i].shape);
    EXPECT_TRUE(t->is_contiguous());
    EXPECT_NO_THROW(t->validate(path));
    ASSERT_EQ(t->storage.size, buffers[i].size());
    EXPECT_EQ(std::memcmp(t->storage.data, buffers[i].data(), buffers[i].size()), 0);
  }
  EXPECT_EQ(file.find("absent"), nullptr);

  const std::string bytes = vit::test::read_text(path);
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ(header_len % 8, 0u);
  EXPECT_EQ(bytes[8], '{');
  EXPECT_NE(bytes.find("\"__metadata__\":{\"format\":\"pt\""), std::string::npos);

  // Deterministic: the input order does not matter.
  std::reverse(entries.begin(), entries.end());
  const std::string again = dir + "/b.safetensors";
  vit::write_safetensors(again, entries, metadata);
  EXPECT_EQ(vit::test::read_text(again), bytes);
}

TEST(Safetensors, TensorsAreZeroCopyViewsOfTheMapping) {
  const std::string path = vit::test::scratch_dir("st") + "/z.safetensors";
  const float values[4] = {1, 2, 3, 4};
  vit::write_safetensors(path, {{"w", vit::DType::F32, {2, 2}, values, sizeof(values)}});
  const vit::ByteView mapped = vit::map_file(path);
  const vit::SafetensorsFile file = vit::SafetensorsFile::parse(mapped, path);
  EXPECT_EQ(file.find("w")->storage.data, mapped.data + mapped.size - sizeof(values));
  EXPECT_EQ(file.find("w")->to_float(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_TRUE(file.metadata().empty());
  EXPECT_EQ(vit::test::read_text(path).find("__metadata__"), std::string::npos);
}

TEST(Safetensors, DataCanStartOnAPageBoundaryAndMapOnDemand) {
  const std::string path = vit::test::scratch_dir("st") + "/aligned.safetensors";
  const float values[4] = {1, 2, 3, 4};
  vit::write_safetensors(path, {{"w", vit::DType::F32, {2, 2}, values, sizeof(values)}}, {{"k", "v"}}, 4096);
  EXPECT_EQ(std::filesystem::file_size(path), 4096u + sizeof(values));
  const vit::ByteView mapped = vit::map_file(path, vit::MapPages::OnDemand);
  const vit::SafetensorsFile file = vit::SafetensorsFile::parse(mapped, path);
  EXPECT_EQ(file.find("w")->storage.data, mapped.data + 4096);
  EXPECT_EQ(file.find("w")->to_float(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(file.metadata().at("k"), "v");
  EXPECT_THROW(vit::write_safetensors(path, {}, {}, 12), vit::Error);
}

TEST(Safetensors, ReleasedPagesOfTheMappingReadBackFromTheFile) {
  const std::string path = vit::test::scratch_dir("st") + "/released.safetensors";
  std::vector<float> values(1 << 16);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  vit::write_safetensors(path, {{"w", vit::DType::F32, {256, 256}, values.data(), values.size() * sizeof(float)}});
  const vit::SafetensorsFile file = vit::SafetensorsFile::open(path);
  const vit::StoredTensor& w = *file.find("w");
  ASSERT_TRUE(w.storage.file_pages);
  vit::release_mapped_pages(w.storage);
  EXPECT_EQ(w.to_float(), values);
}

// A buffer the process owns (as an inflated zip entry is) would read back as zeros.
TEST(Safetensors, ReleasingLeavesBytesThatAreNotFilePagesAlone) {
  std::string bytes(1 << 16, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i % 251 + 1);
  const std::string expected = bytes;
  const vit::ByteView owned = vit::own_bytes(std::move(bytes));
  EXPECT_FALSE(owned.file_pages);
  vit::release_mapped_pages(owned.slice(4096, 8192, "owned"));
  EXPECT_EQ(owned.str(), expected);
}

TEST(Safetensors, WriterRefusesBadEntries) {
  const std::string path = vit::test::scratch_dir("st") + "/bad.safetensors";
  const float v[3] = {1, 2, 3};
  EXPECT_VIT_ERROR(vit::write_safetensors(path, {{"a", vit::DType::F32, {3}, v, 12}, {"a", vit::DType::F32, {3}, v, 12}}),
                   path, "duplicate tensor name \"a\"");
  EXPECT_VIT_ERROR(vit::write_safetensors(path, {{"a", vit::DType::F32, {2, 2}, v, 12}}), path, "needs 16 bytes");
  EXPECT_VIT_ERROR(vit::write_safetensors(path, {{"a", vit::DType::F32, {-3}, v, 12}}), path, "negative");
  EXPECT_VIT_ERROR(vit::write_safetensors(path, {{"__metadata__", vit::DType::F32, {3}, v, 12}}), path, "reserved");
  EXPECT_VIT_ERROR(vit::write_safetensors(path, {{"bad\xff", vit::DType::F32, {3}, v, 12}}), path, "UTF-8");
  EXPECT_VIT_ERROR(vit::write_safetensors(path, {{"a", vit::DType::F32, {1, 1, 1, 1, 1, 1, 1, 1, 3}, v, 12}}), path,
                   "rank 9");
  EXPECT_FALSE(fs::exists(path));
  for (const auto& f : fs::directory_iterator(fs::path(path).parent_path())) ADD_FAILURE() << "left behind: " << f.path();
}

TEST(Safetensors, HostileFilesAreRefused) {
  const std::string a8 = entry("a", "F32", "[2]", 0, 8);
  const std::string data8(8, '\x01');
  struct Case {
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "too small"},
      {std::string("\x02\x00\x00", 3), "too small"},
      {forge("{}", "", uint64_t{1} << 62), "exceeds the limit of 100000000"},
      {forge("{}", "", 100'000'001), "exceeds the limit"},
      {forge("{}", "", 1000), "runs past the end of the file"},
      {forge("{}", "", 3), "runs past the end of the file"},
      {forge("", ""), "does not start with '{'"},
      {forge("[1, 2]", ""), "does not start with '{'"},
      {forge(" {}", ""), "does not start with '{'"},
      {forge("{\"a\": ", ""), "not valid JSON"},
      {forge("{} x", ""), "not valid JSON"},
      {forge("{\"\xff\xfe\": 1}", ""), "not valid UTF-8"},
      {forge("{" + a8 + ", " + entry("b", "F32", "[2]", 4, 12) + "}", std::string(12, 'x')), "overlap"},
      {forge("{" + a8 + ", " + entry("b", "F32", "[2]", 0, 8) + "}", data8), "overlap"},
      {forge("{" + a8 + "}", std::string(4, 'x')), "needs 8 bytes but the file holds 4"},
      {forge("{" + entry("a", "F32", "[2]", 1000, 1008) + "}", data8), "leave a hole"},
      {forge("{" + entry("a", "F32", "[1]", 0, 4) + ", " + entry("b", "F32", "[1]", 8, 12) + "}", std::string(12, 'x')),
       "leave a hole"},
      {forge("{" + a8 + "}", data8 + "garbage"), "7 trailing bytes"},
      {forge("{" + entry("a", "F32", "[3]", 0, 8) + "}", data8), "needs 12 bytes but data_offsets span 8"},
      {forge("{" + entry("a", "F16", "[2, 3]", 0, 8) + "}", data8), "needs 12 bytes"},
      {forge("{" + entry("a", "F32", "[2]", 8, 0) + "}", data8), "end before they begin"},
      {forge("{" + entry("a", "F32", "[4611686018427387904, 4]", 0, 8) + "}", data8), "too large"},
      {forge("{" + entry("a", "F32", "[18446744073709551615]", 0, 8) + "}", data8), "too large"},
      {forge("{" + entry("a", "F32", "[-2]", 0, 8) + "}", data8), "negative"},
      {forge("{" + entry("a", "F32", "[2.0]", 0, 8) + "}", data8), "not an integer"},
      {forge("{" + entry("a", "F32", "[1,1,1,1,1,1,1,1,2]", 0, 8) + "}", data8), "rank 9 exceeds the limit of 8"},
      {forge("{" + entry("a", "U16", "[4]", 0, 8) + "}", data8), "unsupported dtype \"U16\""},
      {forge("{" + entry("a", "f32", "[2]", 0, 8) + "}", data8), "unsupported dtype"},
      {forge("{" + a8 + ", " + a8 + "}", data8), "key \"a\" twice"},
      {forge("{\"a\": {\"dtype\": \"F32\", \"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", data8),
       "key \"dtype\" twice"},
      {forge("{\"a\": {\"dtype\": \"F32\", \"shape\": [2]}}", data8), "needs dtype, shape and data_offsets"},
      {forge("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8], \"x\": 1}}", data8),
       "unexpected field \"x\""},
      {forge("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8, 8]}}", data8), "not a pair"},
      {forge("{\"a\": {\"dtype\": 5, \"shape\": [2], \"data_offsets\": [0, 8]}}", data8), "dtype is not a string"},
      {forge("{\"a\": {\"dtype\": \"F32\", \"shape\": 2, \"data_offsets\": [0, 8]}}", data8), "shape is not an array"},
      {forge("{\"a\": [1]}", ""), "not a JSON object"},
      {forge("{\"__metadata__\": {\"k\": 1}}", ""), "__metadata__ value for \"k\" is not a string"},
      {forge("{\"__metadata__\": [\"k\"]}", ""), "__metadata__ is not a JSON object"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_VIT_ERROR(parse(c.bytes), kWhere, c.message);
  }
  vit::SafetensorsLimits limits;
  limits.max_tensors = 1;
  EXPECT_VIT_ERROR(parse(forge("{" + entry("a", "F32", "[1]", 0, 4) + ", " + entry("b", "F32", "[1]", 4, 8) + "}",
                               data8),
                         limits),
                   kWhere, "more than 1 tensors");
  limits = {};
  limits.max_header_bytes = 16;
  EXPECT_VIT_ERROR(parse(forge("{" + a8 + "}", data8), limits), kWhere, "exceeds the limit of 16");
}

TEST(Safetensors, AcceptsWhatTheReferenceAccepts) {
  // Zero-sized tensors may share an offset; the header may be padded with spaces; metadata
  // may be empty; an empty file is just "{}".
  const vit::SafetensorsFile f = parse(forge("{" + entry("e", "F32", "[0, 5]", 0, 0) + ", " +
                                             entry("f", "BOOL", "[0]", 0, 0) + ", " + entry("a", "U8", "[2]", 0, 2) +
                                             ", \"__metadata__\": {}}   ",
                                             "ab"));
  EXPECT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.find("a")->storage.str(), "ab");
  EXPECT_EQ(f.find("e")->numel(), 0);
  EXPECT_TRUE(parse(forge("{}", "")).tensors().empty());
}

TEST(Safetensors, ErrorsNameTheFile) {
  const std::string path = vit::test::scratch_dir("st") + "/hostile.safetensors";
  vit::test::write_bytes(path, forge("{}", "", uint64_t{1} << 40));
  EXPECT_VIT_ERROR(vit::SafetensorsFile::open(path), path, "exceeds the limit");
  vit::test::write_bytes(path, forge("{" + entry("a", "F32", "[2]", 0, 8) + "}", "1234"));
  EXPECT_VIT_ERROR(vit::SafetensorsFile::open(path), path, "needs 8 bytes");
}

TEST(Safetensors, TruncationsAndBitFlipsNeverCrash) {
  const std::string good = forge("{\"__metadata__\": {\"k\": \"v\"}, " + entry("a", "F32", "[2]", 0, 8) + ", " +
                                     entry("b", "I8", "[1, 3]", 8, 11) + "}",
                                 "12345678abc");
  auto attempt = [](const std::string& bytes) {
    try {
      const vit::SafetensorsFile file = parse(bytes);
      for (const auto& t : file.tensors()) t.second.to_float();
    } catch (const vit::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(std::string(kWhere) + ": ", 0), 0u) << e.what();
    }
  };
  for (size_t cut = 0; cut < good.size(); ++cut) attempt(good.substr(0, cut));
  for (size_t i = 0; i < good.size(); ++i) {
    for (unsigned char v : {0x00, 0x22, 0x2c, 0x30, 0x39, 0x5b, 0x5d, 0x7b, 0x7d, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(v);
      attempt(bad);
    }
  }
}

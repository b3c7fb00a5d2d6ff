#include <cstring>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "formats/json_file.h"
#include "formats/mapped_file.h"
#include "formats/npy.h"
#include "test_support/shared_data.h"
#include "zip_builder.h"

namespace fs = std::filesystem;

namespace {

const char kWhere[] = "forged.npy";

// A .npy image with an arbitrary header text (padded with spaces and a newline unless raw).
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1, bool raw = false) {
  std::string header = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  if (!raw) {
    header.append(64 - (prefix + header.size() + 1) % 64, ' ');
    header += '\n';
  }
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const size_t n = major == 1 ? 2 : 4;
  for (size_t i = 0; i < n; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

vit::NpyArray parse(const std::string& bytes) { return vit::parse_npy(vit::own_bytes(bytes), kWhere); }

std::string floats(std::initializer_list<float> values) {
  std::string s(values.size() * 4, '\0');
  std::memcpy(&s[0], values.begin(), s.size());
  return s;
}

}  // namespace

TEST(Npy, EveryFixtureArrayMatchesItsMetaShape) {
  VIT_REQUIRE_SHARED();
  int checked = 0;
  for (const auto& dir : fs::directory_iterator(vit::test::fixtures_dir())) {
    if (!dir.is_directory()) continue;
    const fs::path meta_path = dir.path() / "meta.json";
    nlohmann::json outputs;
    if (fs::exists(meta_path)) outputs = vit::read_json_file(meta_path.string()).value("outputs", nlohmann::json::object());
    for (const auto& file : fs::directory_iterator(dir.path())) {
      if (file.path().extension() != ".npy") continue;
      const std::string path = file.path().string();
      SCOPED_TRACE(path);
      const vit::NpyArray a = vit::read_npy(path);
      EXPECT_EQ(a.dtype, vit::DType::F32);
      EXPECT_FALSE(a.fortran_order);
      const vit::StoredTensor t = a.tensor();
      EXPECT_NO_THROW(t.validate(path));
      EXPECT_EQ(static_cast<uint64_t>(t.numel()) * 4, a.data.size);
      const vit::ByteView file_bytes = vit::map_file(path);
      EXPECT_EQ(vit::parse_npy(file_bytes, path).data.data, file_bytes.data + (file_bytes.size - a.data.size));
      EXPECT_EQ((file_bytes.size - a.data.size) % 64, 0u);  // numpy aligns the data
      const std::string name = file.path().filename().string();
      if (outputs.contains(name)) {
        EXPECT_EQ(a.shape, outputs[name]["shape"].get<std::vector<int64_t>>());
      } else {
        EXPECT_FALSE(a.shape.empty());
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 70);
}

TEST(Npy, WriterMatchesNumpyByteForByte) {
  VIT_REQUIRE_SHARED();
  const std::string fixture = vit::test::fixture("vit_classifier/logits.npy");
  const vit::NpyArray a = vit::read_npy(fixture);
  const std::string out = vit::test::scratch_dir("npy") + "/logits.npy";
  vit::write_npy(out, a.dtype, a.shape, a.data.data);
  EXPECT_EQ(vit::test::read_text(out), vit::test::read_text(fixture));
}

TEST(Npy, RoundTripIsBitExactForEveryDtype) {
  const std::string dir = vit::test::scratch_dir("npy");
  std::mt19937 rng(7);
  const vit::DType dtypes[] = {vit::DType::F64, vit::DType::F32, vit::DType::F16, vit::DType::I64, vit::DType::I32,
                               vit::DType::I16, vit::DType::I8,  vit::DType::U8,  vit::DType::Bool};
  const std::vector<std::vector<int64_t>> shapes = {{}, {5}, {2, 3}, {2, 0, 4}, {3, 1, 2, 5}};
  for (vit::DType dtype : dtypes) {
    for (const auto& shape : shapes) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      std::string data(static_cast<size_t>(n) * vit::dtype_size(dtype), '\0');
      for (char& c : data) c = static_cast<char>(dtype == vit::DType::Bool ? rng() & 1 : rng() & 0xff);
      const std::string path = dir + "/" + vit::dtype_name(dtype) + "_" + std::to_string(shape.size()) + ".npy";
      SCOPED_TRACE(path);
      vit::write_npy(path, dtype, shape, data.data());
      const vit::NpyArray a = vit::read_npy(path);
      EXPECT_EQ(a.dtype, dtype);
      EXPECT_EQ(a.shape, shape);
      EXPECT_FALSE(a.fortran_order);
      ASSERT_EQ(a.data.size, data.size());
      EXPECT_EQ(std::memcmp(a.data.data, data.data(), data.size()), 0);
      const vit::ByteView file = vit::map_file(path);
      EXPECT_EQ((file.size - data.size()) % 64, 0u);
    }
  }
}

TEST(Npy, Bfloat16HasNoNpySpelling) {
  const std::string path = vit::test::scratch_dir("npy") + "/bf16.npy";
  uint16_t v = 0;
  EXPECT_VIT_ERROR(vit::write_npy(path, vit::DType::BF16, {1}, &v), path, "no .npy equivalent");
  EXPECT_FALSE(fs::exists(path));
}

TEST(Npy, FortranOrderGivesFortranStrides) {
  // [[1, 2, 3], [4, 5, 6]] stored column by column.
  const vit::NpyArray a =
      parse(npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", floats({1, 4, 2, 5, 3, 6})));
  EXPECT_TRUE(a.fortran_order);
  const vit::StoredTensor t = a.tensor();
  EXPECT_EQ(t.strides, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(t.to_float(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Npy, Versions2And3AndOtherSpellings) {
  for (int major : {2, 3}) {
    const vit::NpyArray a = parse(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                                            floats({1.5f, -2}), major));
    EXPECT_EQ(a.shape, std::vector<int64_t>{2});
    EXPECT_EQ(a.tensor().to_float(), (std::vector<float>{1.5f, -2}));
  }
  // Key order, double quotes, no trailing comma, Python 2 longs, a 0-d array.
  const vit::NpyArray b = parse(npy_bytes("{\"shape\": (1L, 2L), \"fortran_order\": False, \"descr\": \"<f4\"}",
                                          floats({3, 4})));
  EXPECT_EQ(b.shape, (std::vector<int64_t>{1, 2}));
  const vit::NpyArray c = parse(npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': ()}", "\x07"));
  EXPECT_TRUE(c.shape.empty());
  EXPECT_EQ(c.dtype, vit::DType::U8);
  EXPECT_EQ(parse(npy_bytes("{'descr': '<i1', 'fortran_order': False, 'shape': (1,)}", "x")).dtype, vit::DType::I8);
  EXPECT_EQ(parse(npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (1,)}", "\x01")).dtype,
            vit::DType::Bool);
}

TEST(Npy, MalformedFilesAreRefused) {
  const std::string f4 = "'descr': '<f4', 'fortran_order': False";
  struct Case {
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "bad magic"},
      {"\x93NUMPZ\x01\x00", "bad magic"},
      {npy_bytes("{" + f4 + ", 'shape': (1,)}", floats({1}), 4), "unsupported .npy version 4.0"},
      {std::string("\x93NUMPY\x01\x00\xff\x00{", 11), "runs past the end"},
      {std::string("\x93NUMPY\x02\x00\x00\x00\x10\x00", 12) + std::string(100, ' '), "exceeds the limit"},
      {npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,)}", floats({1})), "big-endian"},
      {npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", "12345678"), "object arrays"},
      {npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", floats({1})), "structured"},
      {npy_bytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}", floats({1, 2})), "unsupported .npy dtype"},
      {npy_bytes("{'descr': '|f4', 'fortran_order': False, 'shape': (1,)}", floats({1})), "unsupported .npy dtype"},
      {npy_bytes("{" + f4 + "}", ""), "missing key 'shape'"},
      {npy_bytes("{" + f4 + ", 'shape': (1,), 'shape': (1,)}", floats({1})), "duplicate key"},
      {npy_bytes("{" + f4 + ", 'shape': (1,), 'extra': 1}", floats({1})), "unexpected key 'extra'"},
      {npy_bytes("{" + f4 + ", 'shape': (-1,)}", ""), "negative dimension"},
      {npy_bytes("{" + f4 + ", 'shape': (3)}", floats({1, 2, 3})), "trailing comma"},
      {npy_bytes("{" + f4 + ", 'shape': (1,)} junk", floats({1})), "after the dict"},
      {npy_bytes("{" + f4 + ", 'shape': (1,)", floats({1})), "expected"},
      {npy_bytes("{" + f4 + ", 'shape': __import__('os').system('x')}", ""), "expected '('"},
      {npy_bytes("{'descr': '<f4', 'fortran_order': 1, 'shape': (1,)}", floats({1})), "True or False"},
      {npy_bytes("{" + f4 + ", 'shape': (99999999999999999999,)}", ""), "too large"},
      {npy_bytes("{" + f4 + ", 'shape': (4294967296, 4294967296, 4294967296)}", ""), "too large"},
      {npy_bytes("{" + f4 + ", 'shape': (2, 2)}", floats({1, 2, 3})), "(truncated)"},
      {npy_bytes("{" + f4 + ", 'shape': (2,)}", floats({1, 2, 3})), "(trailing bytes)"},
      {npy_bytes("{" + f4 + ", 'shape': (1,)}", floats({1}), 1, true), "newline"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_VIT_ERROR(parse(c.bytes), kWhere, c.message);
  }
  std::string rank33 = "(";
  for (int i = 0; i < 33; ++i) rank33 += "1, ";
  EXPECT_VIT_ERROR(parse(npy_bytes("{" + f4 + ", 'shape': " + rank33 + ")}", floats({1}))), kWhere, "dimensions");
}

TEST(Npy, ErrorsNameTheFile) {
  const std::string path = vit::test::scratch_dir("npy") + "/bad.npy";
  vit::test::write_bytes(path, npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1,)}", "12345678"));
  EXPECT_VIT_ERROR(vit::read_npy(path), path, "big-endian");
}

TEST(Npy, TruncationsAndBitFlipsNeverCrash) {
  const std::string good =
      npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", floats({1, 4, 2, 5, 3, 6}));
  auto attempt = [](const std::string& bytes) {
    try {
      parse(bytes).tensor().to_float();
    } catch (const vit::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(std::string(kWhere) + ": ", 0), 0u) << e.what();
    }
  };
  for (size_t cut = 0; cut < good.size(); ++cut) attempt(good.substr(0, cut));
  for (size_t i = 0; i < good.size(); ++i) {
    for (unsigned char v : {0x00, 0x20, 0x27, 0x28, 0x29, 0x2c, 0x31, 0x7b, 0x7d, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(v);
      attempt(bad);
    }
  }
}

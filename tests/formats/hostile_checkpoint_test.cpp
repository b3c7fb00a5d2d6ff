// Malformed and hostile torch.save files: forged tensor metadata, broken archives,
// truncation and random corruption of the fixtures. Each is a one-line vit::Error or a
// successful load whose tensors all lie inside their storages; never a crash.
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "formats/error.h"
#include "formats/mapped_file.h"
#include "formats/torch_checkpoint.h"
#include "formats/zip_reader.h"
#include "pickle_test_data.h"
#include "test_support/shared_data.h"
#include "zip_builder.h"

namespace vit {
namespace {

using test::binunicode;
using test::le64;

std::string i64(int64_t v) { return "\x8a\x08" + le64(static_cast<uint64_t>(v)); }  // LONG1

std::string ints(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (int64_t x : v) s += i64(x);
  return s + "t";
}

struct TensorSpec {
  std::string storage_class = "ctorch\nFloatStorage\n";
  std::string key = "0";
  int64_t numel = 6;
  int64_t offset = 0;
  std::vector<int64_t> shape = {2, 3};
  std::vector<int64_t> stride = {3, 1};
};

std::string persistent_id(const TensorSpec& t) {
  return "(" + binunicode("storage") + t.storage_class + binunicode(t.key) + binunicode("cpu") + i64(t.numel) +
         "tQ";
}

std::string rebuild_call(const TensorSpec& t) {
  return "ctorch._utils\n_rebuild_tensor_v2\n(" + persistent_id(t) + i64(t.offset) + ints(t.shape) +
         ints(t.stride) + "\x89" "ccollections\nOrderedDict\n)R" "tR";
}

// data.pkl of {'w': <tensor>} (or of `body` pushed as the value of 'w').
std::string state_pickle(const std::string& value) { return "\x80\x02}" + binunicode("w") + value + "s."; }

std::string floats(int n) { return std::string(static_cast<size_t>(n) * 4, '\x01'); }

test::ZipBuildEntry member(const std::string& name, const std::string& data) {
  test::ZipBuildEntry e;
  e.name = name;
  e.data = data;
  return e;
}

std::string torch_zip(const std::string& pkl, std::vector<test::ZipBuildEntry> extra = {member("archive/data/0", floats(6))}) {
  std::vector<test::ZipBuildEntry> entries = {member("archive/data.pkl", pkl)};
  entries.insert(entries.end(), extra.begin(), extra.end());
  return test::build_zip(entries);
}

void expect_refused(const std::string& zip, const std::string& part) {
  EXPECT_VIT_ERROR(load_torch_checkpoint(test::view_of(zip), "forged.pt"), "forged.pt", part);
}

TEST(HostileCheckpoint, HonestSyntheticArchiveLoads) {
  PickleValue v = load_torch_checkpoint(test::view_of(torch_zip(state_pickle(rebuild_call({})))), "ok.pt");
  EXPECT_EQ(v.at("w").tensor().shape, (std::vector<int64_t>{2, 3}));
}

TEST(HostileCheckpoint, ForgedTensorMetadataIsRefused) {
  auto with = [](auto edit) {
    TensorSpec t;
    edit(t);
    return torch_zip(state_pickle(rebuild_call(t)));
  };
  expect_refused(with([](TensorSpec& t) { t.numel = int64_t{1} << 60; }), "less than");
  expect_refused(with([](TensorSpec& t) { t.numel = -1; }), "negative storage size");
  expect_refused(with([](TensorSpec& t) { t.offset = 100; }), "reaches element");
  expect_refused(with([](TensorSpec& t) { t.offset = -1; }), "negative storage offset");
  expect_refused(with([](TensorSpec& t) { t.shape = {-1, 3}; }), "negative dimension");
  expect_refused(with([](TensorSpec& t) { t.stride = {int64_t{1} << 62, 1}; }), "too large");
  expect_refused(with([](TensorSpec& t) { t.stride = {-3, 1}; }), "negative stride");
  expect_refused(with([](TensorSpec& t) { t.shape = {int64_t{1} << 40, int64_t{1} << 40}; }), "too large");
  expect_refused(with([](TensorSpec& t) { t.stride = {3}; }), "rank");
  expect_refused(with([](TensorSpec& t) {
                   t.shape.assign(65, 1);
                   t.stride.assign(65, 1);
                 }),
                 "dimensions");
  expect_refused(with([](TensorSpec& t) { t.key = "9"; }), "is missing");
  expect_refused(with([](TensorSpec& t) { t.key = "../0"; }), "malformed storage key");
  expect_refused(with([](TensorSpec& t) { t.key = ""; }), "malformed storage key");
  expect_refused(with([](TensorSpec& t) { t.storage_class = "ctorch\nComplexFloatStorage\n"; }),
                 "refused global 'torch.ComplexFloatStorage'");
  expect_refused(with([](TensorSpec& t) { t.storage_class = "ctorch\nSize\n"; }), "unsupported storage type");
  expect_refused(with([](TensorSpec& t) { t.storage_class = "K\x01"; }), "unsupported storage type");
}

TEST(HostileCheckpoint, ForgedPicklesAroundTensorsAreRefused) {
  TensorSpec t;
  // Persistent ids that are not storage tuples.
  expect_refused(torch_zip(state_pickle(binunicode("x") + "Q")), "persistent id");
  expect_refused(torch_zip(state_pickle("(" + binunicode("module") + "tQ")), "persistent id");
  // One storage key used as two element types.
  TensorSpec half = t;
  half.storage_class = "ctorch\nHalfStorage\n";
  expect_refused(torch_zip("\x80\x02(" + rebuild_call(t) + rebuild_call(half) + "l."), "two element types");
  // Rebuild arguments of the wrong kind.
  expect_refused(torch_zip(state_pickle("ctorch._utils\n_rebuild_tensor_v2\n(K\x01K\x02))tR")), "not a storage");
  expect_refused(torch_zip(state_pickle("ctorch._utils\n_rebuild_tensor_v2\n)R")), "at least 4");
  expect_refused(torch_zip(state_pickle("ctorch._utils\n_rebuild_parameter\n(K\x01\x89tR")), "not a tensor");
  expect_refused(torch_zip(state_pickle("ctorch\nFloatStorage\n)R")), "is not supported");
  expect_refused(torch_zip(state_pickle("ctorch\nTensor\n)\x81")), "is not supported");
  // _rebuild_from_type_v2 may not call itself (no recursion on file-controlled depth).
  expect_refused(torch_zip(state_pickle("ctorch._tensor\n_rebuild_from_type_v2\n(ctorch._tensor\n_rebuild_from_type_v2\n"
                                        "ctorch\nTensor\n)NtR")),
                 "not an allowed tensor rebuild");
  // The real shape of a tensor subclass: _rebuild_from_type_v2(_rebuild_tensor_v2, Parameter, args, state).
  PickleValue ok = load_torch_checkpoint(
      test::view_of(torch_zip(state_pickle("ctorch._tensor\n_rebuild_from_type_v2\n(ctorch._utils\n_rebuild_tensor_v2\n"
                                           "ctorch.nn.parameter\nParameter\n(" + persistent_id(t) + i64(0) + ints({6}) +
                                           ints({1}) + "\x89" "ccollections\nOrderedDict\n)Rt}tR"))),
      "subclass.pt");
  EXPECT_EQ(ok.at("w").tensor().shape, std::vector<int64_t>{6});
  // torch.Size is a tuple.
  PickleValue size = load_torch_checkpoint(test::view_of(torch_zip(state_pickle("ctorch\nSize\n(K\x02K\x03t\x85R"))), "s.pt");
  EXPECT_EQ(size.at("w").item(1).as_int(), 3);
}

TEST(HostileCheckpoint, BrokenArchivesAreRefused) {
  const std::string pkl = state_pickle(rebuild_call({}));
  expect_refused(test::build_zip({member("a/data.pkl", pkl), member("b/data.pkl", pkl)}), "more than one data.pkl");
  expect_refused(test::build_zip({member("arr_0.npy", "x")}), "not a torch.save archive");
  expect_refused(test::build_zip({member("data.pkl", pkl)}), "not a torch.save archive");
  expect_refused(torch_zip(pkl, {member("archive/data/0", floats(6)), member("archive/byteorder", "middle")}), "byte order");
  expect_refused(torch_zip(pkl, {member("archive/data/0", floats(5))}), "less than");
  expect_refused(torch_zip("\x80\x02}" + binunicode("w")), "truncated");
  expect_refused("", "not a torch.save file");
  expect_refused("\x80\x02K\x01.", "not a torch.save file");
  expect_refused(std::string(100, '\0'), "not a torch.save file");
}

// Reads the first and the last element a tensor addresses (what to_float would reach).
void touch_extremes(const StoredTensor& t) {
  int64_t last = t.offset;
  for (size_t i = 0; i < t.shape.size(); ++i) last += (t.shape[i] - 1) * t.strides[i];
  const size_t item = dtype_size(t.dtype);
  volatile uint8_t sink = t.storage.data[t.offset * item];
  sink = t.storage.data[last * item + item - 1];
  (void)sink;
}

// Loads whatever the bytes are (borrowed, not copied); on success every tensor must read
// inside its storage.
void load_any(const std::string& bytes, int* loaded, size_t size = std::string::npos) {
  try {
    TorchLoadOptions options;
    options.scan = true;  // go as far as possible into the file
    ByteView view{reinterpret_cast<const uint8_t*>(bytes.data()), std::min(size, bytes.size()), nullptr};
    TorchCheckpoint ck = read_torch_checkpoint(view, "mutant.pt", options);
    ++*loaded;
    std::vector<PickleValue> dicts = {ck.value};
    if (ck.value.is_dict())
      for (const auto& [k, v] : ck.value.entries())
        if (v.is_dict()) dicts.push_back(v);
    for (const PickleValue& d : dicts) {
      if (!d.is_dict()) continue;
      for (const auto& [name, t] : tensor_entries(d)) {
        EXPECT_NO_THROW(t.validate(name));
        if (t.numel() <= 4096) t.to_float();
        else touch_extremes(t);
      }
    }
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(HostileCheckpoint, EveryFixtureTruncatedAtEachSixteenth) {
  VIT_REQUIRE_SHARED();
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(test::fixtures_dir()))
    for (const char* name : {"pytorch_model.bin", "model_best.pth.tar"})
      if (std::filesystem::exists(e.path() / name)) files.push_back((e.path() / name).string());
  ASSERT_GE(files.size(), 18u);
  for (const std::string& file : files) {
    ByteView whole = map_file(file);
    for (size_t k = 0; k < 16; ++k) {
      ByteView cut = whole;
      cut.size = whole.size * k / 16;
      SCOPED_TRACE(file + " cut at " + std::to_string(cut.size));
      try {
        load_torch_checkpoint(cut, file);
        // A cut that still parses is possible in principle; reaching here without a crash is the test.
      } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(file + ": ", 0), 0u) << e.what();
      }
    }
  }
}

TEST(HostileCheckpoint, SyntheticFilesTruncatedAtEveryByte) {
  for (const char* name : {"torch_little.pt", "torch_legacy.pt", "torch_big_endian.pt"}) {
    const std::string bytes = test::read_text(test::pickle_data(name));
    int loaded = 0;
    for (size_t n = 0; n < bytes.size(); ++n) load_any(bytes, &loaded, n);
    EXPECT_EQ(loaded, 0) << name << ": a truncated file loaded";
  }
}

// XORs 1-4 random bytes in [begin, end); returns what to XOR again to undo it.
std::vector<std::pair<size_t, char>> flip_bytes(std::string* bytes, std::mt19937* rng, size_t begin, size_t end) {
  std::vector<std::pair<size_t, char>> flips(1 + (*rng)() % 4);
  for (auto& [at, mask] : flips) {
    at = begin + (*rng)() % (end - begin);
    mask = static_cast<char>(1 + (*rng)() % 255);
    (*bytes)[at] = static_cast<char>((*bytes)[at] ^ mask);
  }
  return flips;
}

void undo(std::string* bytes, const std::vector<std::pair<size_t, char>>& flips) {
  for (size_t i = flips.size(); i-- > 0;)
    (*bytes)[flips[i].first] = static_cast<char>((*bytes)[flips[i].first] ^ flips[i].second);
}

TEST(HostileCheckpoint, ThousandRandomByteFlipsOfAFixture) {
  VIT_REQUIRE_SHARED();
  std::string mutant = test::read_text(test::fixture("vit_bf16/pytorch_model.bin"));
  std::mt19937 rng(1234);
  int loaded = 0;
  for (int i = 0; i < 1000; ++i) {
    auto flips = flip_bytes(&mutant, &rng, 0, mutant.size());
    load_any(mutant, &loaded);
    undo(&mutant, flips);
  }
  EXPECT_LT(loaded, 1000);  // CRC-32 catches most flips
}

TEST(HostileCheckpoint, ThousandRandomFlipsOfTheLegacyPickles) {
  VIT_REQUIRE_SHARED();
  // No CRC here: flips inside the pickles reach the unpickler and the storage bookkeeping.
  std::string mutant = test::read_text(test::fixture("legacy_format/pytorch_model.bin"));
  const size_t pickles_end = 16384;
  ASSERT_GT(mutant.size(), pickles_end);
  std::mt19937 rng(99);
  int loaded = 0;
  for (int i = 0; i < 1000; ++i) {
    auto flips = flip_bytes(&mutant, &rng, 0, pickles_end);
    load_any(mutant, &loaded);
    undo(&mutant, flips);
  }
  EXPECT_GT(loaded, 0);
  EXPECT_LT(loaded, 1000);
}

TEST(HostileCheckpoint, RandomFlipsOfDataPklWithValidCrc) {
  // Rebuild the archive around each mutated data.pkl so the flips get past the CRC check.
  const std::string file = test::pickle_data("torch_little.pt");
  ZipArchive zip = ZipArchive::open(map_file(file), file);
  std::vector<test::ZipBuildEntry> entries;
  for (const ZipEntry& e : zip.entries()) entries.push_back(member(e.name, zip.read(e).str()));
  size_t pkl = 0;
  while (entries[pkl].name != "some_name/data.pkl") ++pkl;
  const std::string original = entries[pkl].data;
  std::mt19937 rng(7);
  int loaded = 0;
  for (int i = 0; i < 1000; ++i) {
    entries[pkl].data = original;
    flip_bytes(&entries[pkl].data, &rng, 0, original.size());
    if (rng() % 4 == 0) entries[pkl].data.resize(rng() % original.size());
    load_any(test::build_zip(entries), &loaded);
  }
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace vit

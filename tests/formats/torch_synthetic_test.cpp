// Small torch.save files from tests/generators/make_hostile_pickles.py: views sharing one
// storage, parameters, 0-dim int64, big-endian byte order, the legacy stream, and
// checkpoints that hide a refused global beside real tensors.
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "formats/error.h"
#include "formats/torch_checkpoint.h"
#include "pickle_test_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

std::map<std::string, StoredTensor> tensors_of(const PickleValue& v) {
  auto list = tensor_entries(v);
  return {list.begin(), list.end()};
}

void expect_synthetic_state(const std::string& file) {
  SCOPED_TRACE(file);
  PickleValue v = load_torch_checkpoint(test::pickle_data(file));
  auto list = tensor_entries(v);
  ASSERT_EQ(list.size(), 5u);
  EXPECT_EQ(list[0].first, "w");
  EXPECT_EQ(list[4].first, "n");
  auto t = tensors_of(v);
  EXPECT_EQ(t.at("w").to_float(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(t.at("w_t").shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(t.at("w_t").to_float(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(t.at("tail").to_float(), (std::vector<float>{5, 6}));
  EXPECT_EQ(t.at("w").storage.data, t.at("w_t").storage.data);
  EXPECT_EQ(t.at("w").storage.data, t.at("tail").storage.data);
  EXPECT_EQ(t.at("p").dtype, DType::F16);
  EXPECT_EQ(t.at("p").to_float(), (std::vector<float>{0.5f, -2.0f, 65504.0f}));
  EXPECT_EQ(t.at("n").dtype, DType::I64);
  EXPECT_TRUE(t.at("n").shape.empty());
  EXPECT_EQ(t.at("n").to_float(), std::vector<float>{-1.0f});
}

TEST(TorchSynthetic, LittleEndianZipWithAnyPrefix) {
  expect_synthetic_state("torch_little.pt");
  EXPECT_EQ(read_torch_checkpoint(test::pickle_data("torch_little.pt")).prefix, "some_name");
}

TEST(TorchSynthetic, BigEndianZipIsByteSwapped) { expect_synthetic_state("torch_big_endian.pt"); }

TEST(TorchSynthetic, LegacyStream) {
  expect_synthetic_state("torch_legacy.pt");
  EXPECT_EQ(read_torch_checkpoint(test::pickle_data("torch_legacy.pt")).format, "legacy");
}

TEST(TorchSynthetic, CheckpointsHidingARefusedGlobalFailOrScan) {
  const std::string marker = "/tmp/vitcpp_hostile_marker";
  fs::remove(marker);
  for (const char* file : {"hostile_checkpoint_os_system.pt", "hostile_legacy_os_system.pt"}) {
    SCOPED_TRACE(file);
    const std::string path = test::pickle_data(file);
    try {
      load_torch_checkpoint(path);
      ADD_FAILURE() << "loaded";
    } catch (const Error& e) {
      std::string m = e.what();
      EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << m;
      EXPECT_NE(m.find("refused global 'posix.system' (not on the allow-list)"), std::string::npos) << m;
    }
    TorchLoadOptions scan;
    scan.scan = true;
    TorchCheckpoint ck = read_torch_checkpoint(path, scan);
    EXPECT_EQ(ck.refused_globals, std::vector<std::string>{"posix.system"});
    EXPECT_EQ(ck.value.at("w").tensor().to_float(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
    EXPECT_TRUE(ck.value.at("x").refused());
    EXPECT_FALSE(fs::exists(marker));
  }
  EXPECT_NE(std::string([] {
              try {
                load_torch_checkpoint(test::pickle_data("hostile_checkpoint_os_system.pt"));
              } catch (const Error& e) {
                return std::string(e.what());
              }
              return std::string();
            }())
                .find(": archive/data.pkl: refused global"),
            std::string::npos);
}

}  // namespace
}  // namespace vit

// Every torch.save fixture loads, with the keys, shapes, dtypes, layouts and values its
// meta.json describes.
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "formats/error.h"
#include "formats/torch_checkpoint.h"
#include "test_support/shared_data.h"
#include "torch_test_sha256.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace vit {
namespace {

json read_meta(const std::string& folder) {
  return json::parse(test::read_text(test::fixture(folder) + "/meta.json"));
}

std::vector<std::string> checkpoint_fixtures() {
  std::vector<std::string> out;
  if (test::fixtures_dir().empty()) return out;
  for (const auto& e : fs::directory_iterator(test::fixtures_dir()))
    if (fs::exists(e.path() / "meta.json")) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

DType meta_dtype(const std::string& name) {
  static const std::map<std::string, DType> names = {
      {"float32", DType::F32}, {"float16", DType::F16}, {"bfloat16", DType::BF16}, {"float64", DType::F64},
      {"int64", DType::I64},   {"int32", DType::I32},   {"uint8", DType::U8},      {"bool", DType::Bool}};
  return names.at(name);
}

// The state dict a fixture's meta.json describes, as loaded.
PickleValue state_dict_of(const std::string& folder, const json& meta) {
  const json& ck = meta.at("checkpoint");
  PickleValue root = load_torch_checkpoint(test::fixture(folder) + "/" + ck.at("weights_file").get<std::string>());
  if (ck.contains("state_dict_key")) return root.at(ck.at("state_dict_key").get<std::string>());
  return root;
}

// sha256 over key bytes + float32 row-major values, in state-dict order (how meta.json's
// sha256_float32_state_dict was computed).
std::string state_dict_digest(const PickleValue& sd, const std::string& strip_prefix = "") {
  test::Sha256 sha;
  for (const auto& [key, t] : tensor_entries(sd)) {
    std::string k = key;
    if (!strip_prefix.empty() && k.compare(0, strip_prefix.size(), strip_prefix) == 0) k.erase(0, strip_prefix.size());
    sha.update(k);
    std::vector<float> v = t.to_float();
    sha.update(v.data(), v.size() * sizeof(float));
  }
  return sha.hex_digest();
}

TEST(TorchCheckpoint, EveryFixtureHasEveryMetaKeyShapeAndDtype) {
  VIT_REQUIRE_SHARED();
  std::vector<std::string> folders = checkpoint_fixtures();
  ASSERT_GE(folders.size(), 18u);
  for (const std::string& folder : folders) {
    SCOPED_TRACE(folder);
    const json meta = read_meta(folder);
    PickleValue sd = state_dict_of(folder, meta);
    auto tensors = tensor_entries(sd);
    std::map<std::string, StoredTensor> by_key(tensors.begin(), tensors.end());
    const json& keys = meta.at("state_dict");
    EXPECT_EQ(tensors.size(), keys.size());
    size_t index = 0;
    for (const json& entry : keys) {
      const std::string key = entry.at("key");
      SCOPED_TRACE(key);
      ASSERT_TRUE(by_key.count(key));
      const StoredTensor& t = by_key.at(key);
      EXPECT_EQ(t.shape, entry.at("shape").get<std::vector<int64_t>>());
      EXPECT_EQ(t.dtype, meta_dtype(entry.at("dtype")));
      EXPECT_EQ(tensors[index++].first, key) << "order differs";
      EXPECT_NO_THROW(t.validate(key));
      EXPECT_NE(t.storage.owner, nullptr);
    }
  }
}

TEST(TorchCheckpoint, EveryFixtureMatchesItsFloat32Digest) {
  VIT_REQUIRE_SHARED();
  for (const std::string& folder : checkpoint_fixtures()) {
    SCOPED_TRACE(folder);
    const json meta = read_meta(folder);
    const json& w = meta.at("weights");
    if (!w.contains("sha256_float32_state_dict")) continue;
    const std::string prefix = meta.at("checkpoint").value("key_prefix", "");
    EXPECT_EQ(state_dict_digest(state_dict_of(folder, meta), prefix), w.at("sha256_float32_state_dict").get<std::string>());
  }
}

TEST(TorchCheckpoint, NoncontiguousViewsKeepStridesOffsetsAndSharedStorages) {
  VIT_REQUIRE_SHARED();
  const json meta = read_meta("noncontiguous");
  auto tensors = tensor_entries(state_dict_of("noncontiguous", meta));
  std::map<std::string, StoredTensor> by_key(tensors.begin(), tensors.end());
  std::map<int, const uint8_t*> group_storage;
  std::set<const uint8_t*> distinct;
  int noncontiguous = 0;
  for (const json& entry : meta.at("state_dict")) {
    const std::string key = entry.at("key");
    SCOPED_TRACE(key);
    const StoredTensor& t = by_key.at(key);
    EXPECT_EQ(t.strides, entry.at("stride").get<std::vector<int64_t>>());
    EXPECT_EQ(t.offset, entry.at("storage_offset").get<int64_t>());
    EXPECT_EQ(t.storage.size, entry.at("storage_numel").get<size_t>() * 4);
    EXPECT_EQ(t.is_contiguous(), entry.at("contiguous").get<bool>());
    noncontiguous += !t.is_contiguous();
    const int group = entry.at("storage_ptr_group");
    auto [it, fresh] = group_storage.emplace(group, t.storage.data);
    EXPECT_EQ(it->second, t.storage.data) << "tensors of one group must share one storage view";
    if (fresh) {
      EXPECT_TRUE(distinct.insert(t.storage.data).second) << "two groups share a storage";
    }
  }
  EXPECT_EQ(noncontiguous, 10);
  EXPECT_EQ(distinct.size(), 13u);

  const StoredTensor& bias = by_key.at("norm.bias");
  EXPECT_EQ(bias.strides, std::vector<int64_t>{0});
  EXPECT_EQ(bias.storage.size, 4u);
  std::vector<float> v = bias.to_float();
  ASSERT_EQ(v.size(), 64u);
  for (float x : v) EXPECT_EQ(x, v[0]);

  // pos_embed starts 2 rows into its buffer; the rows before it are padding, not weights.
  EXPECT_EQ(by_key.at("pos_embed").offset, 128);
}

void expect_rounded_copy(const std::string& folder, DType dtype, uint16_t (*round)(float), float (*widen)(uint16_t)) {
  auto reference = tensor_entries(state_dict_of("vit_classifier", read_meta("vit_classifier")));
  auto rounded = tensor_entries(state_dict_of(folder, read_meta(folder)));
  ASSERT_EQ(reference.size(), rounded.size());
  for (size_t i = 0; i < reference.size(); ++i) {
    SCOPED_TRACE(reference[i].first);
    ASSERT_EQ(reference[i].first, rounded[i].first);
    ASSERT_EQ(rounded[i].second.dtype, dtype);
    std::vector<float> want = reference[i].second.to_float();
    std::vector<float> got = rounded[i].second.to_float();
    ASSERT_EQ(want.size(), got.size());
    size_t mismatches = 0;
    for (size_t k = 0; k < want.size(); ++k) mismatches += widen(round(want[k])) != got[k];
    EXPECT_EQ(mismatches, 0u);
  }
}

TEST(TorchCheckpoint, Float16WeightsAreTheFloat32WeightsRoundedToHalf) {
  VIT_REQUIRE_SHARED();
  expect_rounded_copy("vit_fp16", DType::F16, float_to_half, half_to_float);
}

TEST(TorchCheckpoint, Bfloat16WeightsAreTheFloat32WeightsRoundedToBfloat16) {
  VIT_REQUIRE_SHARED();
  expect_rounded_copy("vit_bf16", DType::BF16, float_to_bfloat16, bfloat16_to_float);
}

TEST(TorchCheckpoint, LegacyFormatEqualsTheZipFormatBitForBit) {
  VIT_REQUIRE_SHARED();
  TorchCheckpoint legacy = read_torch_checkpoint(test::fixture("legacy_format/pytorch_model.bin"));
  EXPECT_EQ(legacy.format, "legacy");
  auto a = tensor_entries(legacy.value);
  auto b = tensor_entries(load_torch_checkpoint(test::fixture("vit_classifier/pytorch_model.bin")));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_EQ(a[i].second.shape, b[i].second.shape);
    EXPECT_EQ(a[i].second.to_float(), b[i].second.to_float()) << a[i].first;
  }
}

TEST(TorchCheckpoint, ZipPrefixIsWhateverFolderTheArchiveUses) {
  VIT_REQUIRE_SHARED();
  TorchCheckpoint ck = read_torch_checkpoint(test::fixture("train_checkpoint/model_best.pth.tar"));
  EXPECT_EQ(ck.format, "zip");
  EXPECT_EQ(ck.prefix, "tmp.pth");
  EXPECT_EQ(read_torch_checkpoint(test::fixture("vit_classifier/pytorch_model.bin")).prefix, "pytorch_model");
}

TEST(TorchCheckpoint, TrainCheckpointHasStateDictsOptimizerAndOpaqueArgs) {
  VIT_REQUIRE_SHARED();
  PickleValue ck = load_torch_checkpoint(test::fixture("train_checkpoint/model_best.pth.tar"));
  ASSERT_TRUE(ck.is_dict());
  EXPECT_EQ(ck.at("epoch").as_int(), 4);
  EXPECT_EQ(ck.at("arch").as_str(), "vit_tiny_patch16_224");
  EXPECT_EQ(ck.at("version").as_int(), 2);
  EXPECT_EQ(ck.at("metric").as_float(), 12.5);

  auto sd = tensor_entries(ck.at("state_dict"));
  auto ema = tensor_entries(ck.at("state_dict_ema"));
  ASSERT_EQ(sd.size(), 32u);
  ASSERT_EQ(ema.size(), sd.size());
  for (size_t i = 0; i < sd.size(); ++i) {
    EXPECT_EQ(sd[i].first, "module." + ema[i].first);
    EXPECT_EQ(sd[i].second.shape, ema[i].second.shape);
  }
  EXPECT_NE(sd[0].second.to_float(), ema[0].second.to_float()) << "EMA weights differ after one update";

  PickleValue args = ck.at("args");
  ASSERT_EQ(args.kind(), PickleKind::Object);
  EXPECT_EQ(args.qualified_name(), "argparse.Namespace");
  EXPECT_FALSE(args.refused());
  EXPECT_EQ(args.object_args().kind(), PickleKind::Tuple);
  EXPECT_EQ(args.object_args().size(), 0u);
  PickleValue fields = args.state();
  ASSERT_TRUE(fields.is_dict());
  EXPECT_EQ(fields.at("model").as_str(), "vit_tiny_patch16_224");
  EXPECT_EQ(fields.at("num_classes").as_int(), 100);
  EXPECT_EQ(fields.at("weight_decay").as_float(), 0.05);
  EXPECT_TRUE(fields.at("model_ema").as_bool());
  EXPECT_TRUE(fields.find("model_kwargs").has_value());

  PickleValue optimizer = ck.at("optimizer");
  PickleValue groups = optimizer.at("param_groups");
  ASSERT_EQ(groups.kind(), PickleKind::List);
  ASSERT_EQ(groups.size(), 2u);
  std::set<double> decays;
  for (const PickleValue& g : groups.items()) decays.insert(g.at("weight_decay").as_float());
  EXPECT_EQ(decays, (std::set<double>{0.0, 0.05}));
  auto state = optimizer.at("state").entries();
  ASSERT_EQ(state.size(), 32u);
  EXPECT_EQ(state[0].first.as_int(), 0);
  const StoredTensor& step = state[0].second.at("step").tensor();
  EXPECT_TRUE(step.shape.empty());
  EXPECT_EQ(step.numel(), 1);
  EXPECT_EQ(step.to_float(), std::vector<float>{1.0f});
  EXPECT_EQ(state[0].second.at("exp_avg").tensor().shape, sd[0].second.shape);
}

TEST(TorchCheckpoint, ScanModeFindsNothingToRefuseInFixtures) {
  VIT_REQUIRE_SHARED();
  TorchLoadOptions scan;
  scan.scan = true;
  for (const char* file : {"train_checkpoint/model_best.pth.tar", "legacy_format/pytorch_model.bin"}) {
    TorchCheckpoint ck = read_torch_checkpoint(test::fixture(file), scan);
    EXPECT_TRUE(ck.refused_globals.empty()) << file;
  }
}

TEST(TorchCheckpoint, TensorEntriesSkipsNonTensorsAndRefusesNonDicts) {
  VIT_REQUIRE_SHARED();
  PickleValue ck = load_torch_checkpoint(test::fixture("train_checkpoint/model_best.pth.tar"));
  EXPECT_TRUE(tensor_entries(ck).empty());
  EXPECT_THROW(tensor_entries(ck.at("arch"), "x"), Error);
}

TEST(TorchCheckpoint, OtherFilesAreRefusedClearly) {
  VIT_REQUIRE_SHARED();
  try {
    load_torch_checkpoint(test::fixture("vit_classifier/config.json"));
    FAIL() << "loaded a JSON file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a torch.save file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_torch_checkpoint("/nonexistent/file.bin"), Error);
}

}  // namespace
}  // namespace vit

// The weights layouts of Hugging Face folders: sharded safetensors with an index, tensors under
// each family's names, the tensors inference ignores, and what is refused (by the file's own
// tensor names).
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "formats/npy.h"
#include "formats/mapped_file.h"
#include "formats/safetensors.h"
#include "formats/zip_reader.h"
#include "test_support/shared_data.h"
#include "../formats/zip_builder.h"  // the tests' zip writer

namespace fs = std::filesystem;

namespace vit {
namespace {

std::string hf_fixture(const std::string& folder) { return test::fixtures_dir() + "/hf/" + folder; }

std::vector<float> features_of(const VitModel& model, const std::string& fixture_dir) {
  const NpyArray input = read_npy(fixture_dir + "/input.npy");
  const std::vector<float> pixels = input.tensor().to_float();
  return model
      .forward(pixels.data(), static_cast<int>(input.shape[0]), static_cast<int>(input.shape[2]),
               static_cast<int>(input.shape[3]), kFeatures)
      .features;
}

SafetensorsEntry entry_of(const std::string& name, const StoredTensor& t) {
  return {name, t.dtype, t.shape, t.storage.data + t.offset * dtype_size(t.dtype),
          static_cast<size_t>(t.numel()) * dtype_size(t.dtype)};
}

// A copy of a fixture folder's config.json; the weights are up to the caller.
std::string folder_with_config_of(const std::string& fixture, const std::string& scratch) {
  const std::string dir = test::scratch_dir(scratch) + "/model";
  fs::create_directories(dir);
  fs::copy_file(hf_fixture(fixture) + "/config.json", dir + "/config.json");
  return dir;
}

// The fixture's tensors in two shards (alternating) with an index saying where each lies;
// `edit` may change the weight_map before it is written.
template <typename Edit>
std::string sharded_copy(const std::string& fixture, Edit edit) {
  const std::string dir = folder_with_config_of(fixture, "sharded");
  const SafetensorsFile file = SafetensorsFile::open(hf_fixture(fixture) + "/model.safetensors");
  std::vector<SafetensorsEntry> shards[2];
  nlohmann::json weight_map = nlohmann::json::object();
  const char* names[2] = {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
  size_t i = 0;
  for (const auto& [name, tensor] : file.tensors()) {
    shards[i % 2].push_back(entry_of(name, tensor));
    weight_map[name] = names[i++ % 2];
  }
  for (int s = 0; s < 2; ++s) write_safetensors(dir + "/" + names[s], shards[s], {{"format", "pt"}});
  edit(weight_map);
  write_json_file(dir + "/model.safetensors.index.json", {{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}});
  return dir;
}

std::string load_error(const std::string& dir) {
  try {
    load_model(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// In bfloat16 too, where loading maps the shards on demand and drops their pages tensor by
// tensor.
TEST(HfWeightFiles, ShardedSafetensorsGiveTheSameModelBitForBit) {
  VIT_REQUIRE_SHARED();
  for (const char* fixture : {"clip", "dinov2"}) {
    const std::string dir = sharded_copy(fixture, [](nlohmann::json&) {});
    for (const Precision precision : {Precision::F32, Precision::BF16}) {
      std::optional<VitModel> one_file;
      try {
        one_file.emplace(load_model(hf_fixture(fixture), precision));
      } catch (const Error& e) {
        ASSERT_NE(std::string(e.what()).find("this CPU has no"), std::string::npos) << e.what();
        continue;  // no bfloat16 GEMMs on this CPU
      }
      EXPECT_EQ(features_of(load_model(dir, precision), hf_fixture(fixture)),
                features_of(*one_file, hf_fixture(fixture)))
          << fixture << " " << precision_name(precision);
    }
  }
}

// torch.save stores its zip entries; an archive whose entries are deflated holds the weights in
// buffers of its own, which loading must not treat as pages of the file (dropping them zeroed
// their pages and aborted the process).
TEST(HfWeightFiles, APytorchModelBinWithDeflatedEntriesGivesTheSameModel) {
  VIT_REQUIRE_SHARED();
  const std::string fixture = "vit_pooler";
  const std::string original = hf_fixture(fixture) + "/pytorch_model.bin";
  const ZipArchive archive = ZipArchive::open(map_file(original), original);
  std::vector<test::ZipBuildEntry> entries;
  for (const ZipEntry& entry : archive.entries()) {
    test::ZipBuildEntry deflated;
    deflated.name = entry.name;
    deflated.data = archive.read(entry).str();
    deflated.method = 8;
    entries.push_back(deflated);
  }
  const std::string dir = folder_with_config_of(fixture, "deflated_bin");
  test::write_bytes(dir + "/pytorch_model.bin", test::build_zip(entries));
  EXPECT_EQ(features_of(load_model(dir), hf_fixture(fixture)),
            features_of(load_model(hf_fixture(fixture)), hf_fixture(fixture)));
}

TEST(HfWeightFiles, AShardOutsideTheFolderIsRefusedBeforeAnythingIsRead) {
  VIT_REQUIRE_SHARED();
  const std::string dir = sharded_copy("clip", [](nlohmann::json& map) { map["logit_scale"] = "../x.safetensors"; });
  const std::string message = load_error(dir);
  EXPECT_NE(message.find("model.safetensors.index.json: shard \"../x.safetensors\" is not a .safetensors file in "
                         "the folder"),
            std::string::npos)
      << message;
}

TEST(HfWeightFiles, ATensorInAnotherShardThanTheIndexSaysIsRefused) {
  VIT_REQUIRE_SHARED();
  const std::string dir = sharded_copy("clip", [](nlohmann::json& map) {
    map["logit_scale"] = map["logit_scale"] == "model-00001-of-00002.safetensors" ? "model-00002-of-00002.safetensors"
                                                                                 : "model-00001-of-00002.safetensors";
  });
  const std::string message = load_error(dir);
  EXPECT_NE(message.find("holds tensor \"logit_scale\", which"), std::string::npos) << message;
  EXPECT_NE(message.find("does not place in this shard"), std::string::npos) << message;
}

TEST(HfWeightFiles, ATensorTheIndexListsButNoShardHoldsIsRefused) {
  VIT_REQUIRE_SHARED();
  const std::string dir =
      sharded_copy("clip", [](nlohmann::json& map) { map["extra.weight"] = "model-00001-of-00002.safetensors"; });
  EXPECT_NE(load_error(dir).find("lacks tensor \"extra.weight\""), std::string::npos) << load_error(dir);
}

// The CLIP fixture's tensors, minus `drop`, plus `add` (a copy of logit_scale).
std::string clip_copy(const std::string& drop, const std::string& add) {
  const std::string dir = folder_with_config_of("clip", "clip_copy");
  const SafetensorsFile file = SafetensorsFile::open(hf_fixture("clip") + "/model.safetensors");
  std::vector<SafetensorsEntry> entries;
  for (const auto& [name, tensor] : file.tensors())
    if (name != drop) entries.push_back(entry_of(name, tensor));
  if (!add.empty()) entries.push_back(entry_of(add, *file.find("logit_scale")));
  write_safetensors(dir + "/model.safetensors", entries);
  return dir;
}

TEST(HfWeightFiles, AMissingTensorIsNamedAsTheFamilyNamesIt) {
  VIT_REQUIRE_SHARED();
  const std::string message = load_error(clip_copy("vision_model.encoder.layers.1.self_attn.k_proj.bias", ""));
  EXPECT_NE(message.find("model.safetensors: missing tensor \"vision_model.encoder.layers.1.self_attn.k_proj.bias\""),
            std::string::npos)
      << message;
}

TEST(HfWeightFiles, TheTextTowerIsIgnoredButAnUnknownVisionTensorIsRefused) {
  VIT_REQUIRE_SHARED();
  EXPECT_EQ(load_error(clip_copy("text_projection.weight", "")), "");
  const std::string message = load_error(clip_copy("", "vision_model.extra_scale"));
  EXPECT_NE(message.find("unexpected tensor \"vision_model.extra_scale\""), std::string::npos) << message;
}

TEST(HfWeightFiles, AFolderWithoutWeightsNamesTheLayoutsItLooksFor) {
  VIT_REQUIRE_SHARED();
  const std::string message = load_error(folder_with_config_of("siglip", "no_weights"));
  EXPECT_NE(message.find("has no weights (model.safetensors, model.safetensors.index.json, pytorch_model.bin"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace vit

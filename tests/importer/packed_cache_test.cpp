// Packed weights kept between runs (engine/model/packed_cache.h): a second load maps them and gives
// the same logits bit for bit; anything that does not match is packed again and rewritten.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "formats/npy.h"
#include "formats/safetensors.h"
#include "importer/import_checkpoint.h"
#include "imported_model.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

namespace fs = std::filesystem;

// The one cache file in `cache_dir`.
std::string cache_file(const std::string& cache_dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(cache_dir)) files.push_back(entry.path().string());
  EXPECT_EQ(files.size(), 1u);
  return files.empty() ? "" : files[0];
}

// vit_classifier imported, its float32 logits, and a cache file written by loading it.
struct CachedFolder {
  explicit CachedFolder(const std::string& name)
      : dir(test::import_to_scratch(test::fixture("vit_classifier"), name)),
        expected(test::fixture_logits(load_model(dir), "vit_classifier")),
        cache(test::scratch_dir(name + "_dir")) {
    load_model(dir, Precision::F32, cache);
    file = cache_file(cache);
  }
  std::string dir;
  std::vector<float> expected;
  std::string cache, file;
};

TEST(PackedCache, SecondLoadMapsTheCacheAndGivesTheSameLogitsBitForBit) {
  VIT_REQUIRE_SHARED();
  for (const char* fixture : {"vit_classifier", "vit_siglip_map", "deit_distilled"}) {
    const std::string dir = test::import_to_scratch(test::fixture(fixture), std::string("cache_same_") + fixture);
    for (Precision precision : {Precision::F32, Precision::BF16, Precision::Int8}) {
      SCOPED_TRACE(std::string(fixture) + " " + precision_name(precision));
      const std::string cache = test::scratch_dir(std::string("cache_dir_") + fixture + precision_name(precision));
      const std::vector<float> packed = test::fixture_logits(load_model(dir, precision), fixture);
      const VitModel writes = load_model(dir, precision, cache);
      EXPECT_FALSE(writes.packed_weights_from_cache());
      EXPECT_EQ(test::fixture_logits(writes, fixture), packed);
      const VitModel maps = load_model(dir, precision, cache);
      EXPECT_TRUE(maps.packed_weights_from_cache());
      EXPECT_EQ(test::fixture_logits(maps, fixture), packed);
    }
  }
}

TEST(PackedCache, ChangedWeightsAreAMissAndTheFileIsRewritten) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("vit_classifier"), "cache_changed");
  const std::string cache = test::scratch_dir("cache_changed_dir");
  load_model(dir, Precision::F32, cache);
  // Import another checkpoint into the same folder: same path, other weights.
  ImportOptions o;
  o.checkpoint = test::fixture("vit_tiny_real");
  o.output_dir = dir;
  o.overwrite = true;
  std::ostringstream log;
  ASSERT_TRUE(import_checkpoint(o, log).written) << log.str();
  const VitModel reloaded = load_model(dir, Precision::F32, cache);
  EXPECT_FALSE(reloaded.packed_weights_from_cache());
  EXPECT_EQ(test::fixture_logits(reloaded, "vit_tiny_real"), test::fixture_logits(load_model(dir, Precision::F32), "vit_tiny_real"));
  EXPECT_TRUE(load_model(dir, Precision::F32, cache).packed_weights_from_cache());
}

TEST(PackedCache, DamagedFilesAreAMissAndAreRewritten) {
  VIT_REQUIRE_SHARED();
  const CachedFolder cached("cache_damaged");
  const std::string &dir = cached.dir, &cache = cached.cache, &file = cached.file;
  const std::vector<float>& expected = cached.expected;
  const auto full_size = fs::file_size(file);
  for (const char* damage : {"truncated", "garbage", "empty"}) {
    SCOPED_TRACE(damage);
    if (damage == std::string("truncated")) fs::resize_file(file, full_size / 2);
    if (damage == std::string("garbage")) std::ofstream(file, std::ios::binary) << std::string(4096, '\x7f');
    if (damage == std::string("empty")) std::ofstream(file, std::ios::binary).flush();
    const VitModel model = load_model(dir, Precision::F32, cache);
    EXPECT_FALSE(model.packed_weights_from_cache());
    EXPECT_EQ(test::fixture_logits(model, "vit_classifier"), expected);
    EXPECT_EQ(fs::file_size(file), full_size);
    EXPECT_TRUE(load_model(dir, Precision::F32, cache).packed_weights_from_cache());
  }
}

TEST(PackedCache, AMatrixSavedUnderAnotherLayoutIsPackedAgain) {
  VIT_REQUIRE_SHARED();
  const CachedFolder cached("cache_layout");
  const std::string &dir = cached.dir, &cache = cached.cache, &file = cached.file;
  const std::vector<float>& expected = cached.expected;
  {
    // Rewrite the file with the first matrix's layout changed (as another CPU would have it).
    const SafetensorsFile saved = SafetensorsFile::open(file);
    std::map<std::string, std::string> metadata = saved.metadata();
    for (auto& [key, value] : metadata)
      if (key.size() > 7 && key.compare(key.size() - 7, 7, ".layout") == 0) {
        value += " (another CPU)";
        break;
      }
    std::vector<SafetensorsEntry> entries;
    for (const auto& [name, t] : saved.tensors())
      entries.push_back({name, t.dtype, t.shape, t.storage.data + t.offset * dtype_size(t.dtype),
                         static_cast<size_t>(t.numel()) * dtype_size(t.dtype)});
    write_safetensors(file + ".new", entries, metadata, 4096);
  }
  fs::rename(file + ".new", file);
  const VitModel model = load_model(dir, Precision::F32, cache);
  EXPECT_FALSE(model.packed_weights_from_cache());
  EXPECT_EQ(test::fixture_logits(model, "vit_classifier"), expected);
  EXPECT_TRUE(load_model(dir, Precision::F32, cache).packed_weights_from_cache());
}

TEST(PackedCache, AFolderThatCannotBeWrittenOnlyMeansNoCache) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("vit_classifier"), "cache_unwritable");
  const std::string blocker = test::scratch_dir("cache_unwritable_dir") + "/a-file";
  std::ofstream(blocker) << "not a folder";
  const VitModel model = load_model(dir, Precision::F32, blocker + "/cache");
  EXPECT_FALSE(model.packed_weights_from_cache());
  EXPECT_EQ(test::fixture_logits(model, "vit_classifier"), test::fixture_logits(load_model(dir), "vit_classifier"));
}

// vitrun: by default the cache goes to $VITCPP_CACHE_DIR; --cache DIR writes the file on the
// first run and the second run maps it, with the same output; --no-cache writes nothing; both
// at once are refused.
TEST(PackedCache, VitrunUsesTheFolderItIsGivenOrNone) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("vit_classifier"), "cache_vitrun");
  const std::string work = test::scratch_dir("cache_vitrun_work"), cache = work + "/cache";
  auto vitrun = [&](const std::string& options, const std::string& out, std::string* output) {
    return test::run_command("VITCPP_CACHE_DIR=" + work + "/default " + test::tool_path("vitrun") + " --model " + dir +
                                 " --input " + test::fixture("vit_classifier") + "/input.npy --output " + work + "/" +
                                 out + " " + options,
                             output);
  };
  std::string output;
  ASSERT_EQ(vitrun("--no-cache", "none.npy", &output), 0) << output;
  EXPECT_FALSE(fs::exists(work + "/default"));
  ASSERT_EQ(vitrun("", "default.npy", &output), 0) << output;
  EXPECT_FALSE(cache_file(work + "/default").empty());
  EXPECT_EQ(test::read_text(work + "/default.npy"), test::read_text(work + "/none.npy"));
  ASSERT_EQ(vitrun("--cache " + cache, "first.npy", &output), 0) << output;
  ASSERT_FALSE(cache_file(cache).empty());
  const auto written = fs::last_write_time(cache_file(cache));
  ASSERT_EQ(vitrun("--cache " + cache, "second.npy", &output), 0) << output;
  EXPECT_EQ(fs::last_write_time(cache_file(cache)), written);  // mapped, not rewritten
  EXPECT_EQ(test::read_text(work + "/second.npy"), test::read_text(work + "/none.npy"));
  EXPECT_EQ(test::read_text(work + "/first.npy"), test::read_text(work + "/none.npy"));
  EXPECT_EQ(vitrun("--cache " + cache + " --no-cache", "x.npy", &output), 2);
  EXPECT_NE(output.find("contradict"), std::string::npos) << output;
}

// vitimport packs the folder it wrote into the cache, so vitrun's first start maps it.
TEST(PackedCache, VitimportPreparesTheCacheForVitrun) {
  VIT_REQUIRE_SHARED();
  const std::string work = test::scratch_dir("cache_vitimport"), cache = work + "/cache";
  const std::string env = "VITCPP_CACHE_DIR=" + cache + " ";
  std::string output;
  ASSERT_EQ(test::run_command(env + test::tool_path("vitimport") + " --checkpoint " + test::fixture("vit_classifier") +
                                  " --out " + work + "/unprepared --no-cache",
                              &output),
            0)
      << output;
  EXPECT_FALSE(fs::exists(cache));
  ASSERT_EQ(test::run_command(env + test::tool_path("vitimport") + " --checkpoint " + test::fixture("vit_classifier") +
                                  " --out " + work + "/model",
                              &output),
            0)
      << output;
  const std::string file = cache_file(cache);
  ASSERT_FALSE(file.empty());
  const auto written = fs::last_write_time(file);
  ASSERT_EQ(test::run_command(env + test::tool_path("vitrun") + " --model " + work + "/model --input " +
                                  test::fixture("vit_classifier") + "/input.npy --output " + work + "/logits.npy",
                              &output),
            0)
      << output;
  EXPECT_EQ(fs::last_write_time(file), written);  // mapped, not packed and rewritten
}

}  // namespace
}  // namespace vit

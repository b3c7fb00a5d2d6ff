// vitimport pointed at hostile files (tests/importer/data/hostile, written by
// tests/generators/make_hostile_files.py, and the formats engineer's tests/formats/data):
// each is refused with one line naming the file (exit 2) or parsed inertly; nothing in it ever
// runs (the payloads would create a marker file); nothing is written; and everything happens
// inside a few hundred MB of address space.
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/image/preprocessor_config.h"
#include "engine/model/model_folder.h"
#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

constexpr int kAddressSpaceKb = 300 * 1024;  // vitimport needs ~100 MB of it to start

std::string data_dir(const std::string& sub) {
  return test::tests_dir() + "/importer/" + sub;
}

nlohmann::json manifest() {
  std::ifstream in(data_dir("data/hostile/manifest.json"));
  return nlohmann::json::parse(in);
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// Runs vitimport under `ulimit -v`; *err gets what it wrote to stderr only.
int vitimport(const std::string& args, std::string* err) {
  return test::run_command("{ ulimit -v " + std::to_string(kAddressSpaceKb) + "; " + test::tool_path("vitimport") +
                               " " + args + " 2>&1 >/dev/null; }",
                           err);
}

// Exactly one line, "vitimport: <file>: ...".
void expect_one_line_naming(const std::string& err, const std::string& file) {
  EXPECT_EQ(err.rfind("vitimport: ", 0), 0u) << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << "not one line: " << err;
  EXPECT_NE(err.find(fs::path(file).filename().string()), std::string::npos) << err;
}

class HostileFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = manifest();
    marker_ = m_["marker"].get<std::string>();
    fs::remove(marker_);
    out_parent_ = test::scratch_dir("out");
  }
  void TearDown() override {
    EXPECT_FALSE(fs::exists(marker_)) << "a payload ran: " << marker_ << " exists";
    EXPECT_FALSE(fs::exists("/tmp/vitcpp_hostile_marker"));
  }
  nlohmann::json m_;
  std::string marker_;
  std::string out_parent_;
};

TEST_F(HostileFiles, ImportRefusesEachWithOneLineAndWritesNothing) {
  int refused = 0;
  for (const auto& f : m_["files"]) {
    if (f["import_exit"] != 2) continue;
    const std::string file = data_dir("data/hostile/") + f["file"].get<std::string>();
    SCOPED_TRACE(file + " (" + f["why"].get<std::string>() + ")");
    std::string args = "--checkpoint " + quoted(file) + " --out " + quoted(out_parent_ + "/model");
    for (const auto& a : f.value("args", nlohmann::json::array())) args += " " + a.get<std::string>();
    std::string err;
    EXPECT_EQ(vitimport(args, &err), 2) << err;
    expect_one_line_naming(err, file);
    EXPECT_NE(err.find(f["mentions"].get<std::string>()), std::string::npos) << err;
    EXPECT_TRUE(fs::is_empty(out_parent_)) << "something was written beside the target";
    ++refused;
  }
  EXPECT_GE(refused, 40);
}

TEST_F(HostileFiles, CheckReportsEachWithoutRunningIt) {
  for (const auto& f : m_["files"]) {
    if (f["check_exit"] == -1) continue;  // reference .npy files
    const std::string file = data_dir("data/hostile/") + f["file"].get<std::string>();
    SCOPED_TRACE(file + " (" + f["why"].get<std::string>() + ")");
    std::string out;
    const int expected = f["check_exit"];
    EXPECT_EQ(test::run_command("{ ulimit -v " + std::to_string(kAddressSpaceKb) + "; " +
                                    test::tool_path("vitimport") + " --check " + quoted(file) + "; }",
                                &out),
              expected)
        << out;
    if (expected == 2) expect_one_line_naming(out, file);
    if (expected == 4) {
      EXPECT_NE(out.find(f["mentions"].get<std::string>()), std::string::npos) << out;
    }
  }
}

TEST_F(HostileFiles, NonFiniteWeightsLoadAndVerificationReportsThem) {
  const std::string input = data_dir("data/hostile/input_tiny_vit.npy");
  const std::string logits = data_dir("data/hostile/logits_tiny_vit.npy");
  for (const char* name : {"st_tiny_vit_nan.safetensors", "st_tiny_vit_inf.safetensors"}) {
    SCOPED_TRACE(name);
    std::string out;
    const std::string target = out_parent_ + "/model";
    EXPECT_EQ(test::run_command(test::tool_path("vitimport") + " --checkpoint " + quoted(data_dir("data/hostile/") + name) +
                                    " --num-heads 2 --reference-input " + quoted(input) + " --reference-output " +
                                    quoted(logits) + " --out " + quoted(target),
                                &out),
              1)
        << out;
    EXPECT_NE(out.find("2 non-finite values"), std::string::npos) << out;  // both logits
    EXPECT_NE(out.find("FAILED"), std::string::npos) << out;
    EXPECT_NE(out.find("verification failed; nothing was written"), std::string::npos) << out;
    EXPECT_FALSE(fs::exists(target));
  }
}

// The clean control model: a tiny folder, also used for replaying inputs through vitrun.
std::string tiny_model(const std::string& dir) {
  const std::string model = dir + "/tiny";
  std::string err;
  EXPECT_EQ(vitimport("--checkpoint " + quoted(data_dir("data/hostile/st_tiny_vit_clean.safetensors")) +
                          " --num-heads 2 --out " + quoted(model),
                      &err),
            0)
      << err;
  return model;
}

TEST_F(HostileFiles, TheCleanControlImportsUnderTheSameLimit) {
  EXPECT_EQ(load_model(tiny_model(out_parent_)).config().hidden_size, 8);
}

TEST_F(HostileFiles, FormatsEngineersHostileFilesAreRefusedToo) {
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(data_dir("../formats/data"))) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("hostile_", 0) != 0) continue;
    SCOPED_TRACE(name);
    std::string err;
    EXPECT_EQ(vitimport("--checkpoint " + quoted(entry.path().string()) + " --out " + quoted(out_parent_ + "/m"), &err), 2)
        << err;
    expect_one_line_naming(err, name);
    // torch.save files name the refused global; bare pickles are not torch.save files at all.
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".pt") == 0) {
      EXPECT_NE(err.find("refused global"), std::string::npos) << err;
    }
    ++seen;
  }
  EXPECT_GE(seen, 10);
}

TEST_F(HostileFiles, FuzzRegressionInputsNeverCrashTheTool) {
  // Inputs that once crashed a fuzz target (tests/fuzz/regressions/<target>/), replayed through
  // the tool where it reads that kind of file. Each must end in a clean exit code.
  const std::string root = data_dir("../fuzz/regressions");
  if (!fs::exists(root)) GTEST_SKIP() << "no regression inputs";
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string target = entry.path().parent_path().filename().string();
    if (target != "torch" && target != "import" && target != "check" && target != "safetensors" && target != "zip")
      continue;
    SCOPED_TRACE(entry.path().string());
    std::string err;
    const int import_rc = vitimport("--checkpoint " + quoted(entry.path().string()) + " --num-heads 1", &err);
    EXPECT_TRUE(import_rc == 0 || import_rc == 1 || import_rc == 2) << import_rc << " " << err;
    std::string out;
    const int check_rc = test::run_command(test::tool_path("vitimport") + " --check " + quoted(entry.path().string()), &out);
    EXPECT_TRUE(check_rc == 0 || check_rc == 2 || check_rc == 4) << check_rc << " " << out;
  }
}

std::vector<fs::path> regressions(const std::string& target) {
  std::vector<fs::path> files;
  const std::string dir = data_dir("../fuzz/regressions/" + target);
  if (fs::exists(dir))
    for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  return files;
}

// vitrun on `image` (and a good image after it) with the model in `model`: exit `expected`,
// and its error output is exactly one line naming `named`.
void expect_vitrun_one_line(const std::string& model, const std::string& image, int expected, const std::string& named) {
  const std::string good = data_dir("../fuzz/corpus/image/gray8.jpg");
  std::string out;
  EXPECT_EQ(test::run_command("{ ulimit -v " + std::to_string(kAddressSpaceKb) + "; " + test::tool_path("vitrun") +
                                  " --model " + quoted(model) + " " + quoted(image) + " " + quoted(good) +
                                  " 2>&1 >/dev/null; }",
                              &out),
            expected)
      << out;
  EXPECT_EQ(out.rfind("vitrun: " + named, 0), 0u) << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
}

TEST_F(HostileFiles, FuzzRegressionImagesAreRefusedOneLineEach) {
  // Images that once crashed fuzz_image: each is reported on one line (exit 3: some images
  // were unreadable) and the good image after it still runs.
  const std::string model = tiny_model(out_parent_);
  for (const fs::path& image : regressions("image")) {
    SCOPED_TRACE(image.string());
    expect_vitrun_one_line(model, image.string(), 3, image.string() + ": ");
  }
}

TEST_F(HostileFiles, FuzzRegressionConfigsAreRefusedOneLineEach) {
  // config.json / preprocessor_config.json inputs that once crashed their targets, placed in a
  // copy of a model folder: vitrun refuses the folder (exit 2) with one line.
  const std::string model = tiny_model(out_parent_);
  for (const auto& [target, file] : {std::pair<std::string, std::string>{"vit_config", kConfigFile},
                                     {"preprocessor_config", kPreprocessorFile}}) {
    for (const fs::path& json : regressions(target)) {
      SCOPED_TRACE(json.string());
      const std::string copy = out_parent_ + "/copy";
      fs::remove_all(copy);
      fs::copy(model, copy, fs::copy_options::recursive);
      fs::copy_file(json, copy + "/" + file, fs::copy_options::overwrite_existing);
      expect_vitrun_one_line(copy, data_dir("../fuzz/corpus/image/gray8.jpg"), 2, copy + "/" + file + ": ");
    }
  }
}

TEST_F(HostileFiles, FuzzRegressionArraysAreRefusedOneLineEach) {
  // .npy inputs that once crashed fuzz_npy, given to vitimport as reference pixels.
  for (const fs::path& npy : regressions("npy")) {
    SCOPED_TRACE(npy.string());
    std::string err;
    EXPECT_EQ(vitimport("--checkpoint " + quoted(data_dir("data/hostile/st_tiny_vit_clean.safetensors")) +
                            " --num-heads 2 --reference-input " + quoted(npy.string()) + " --reference-output " +
                            quoted(data_dir("data/hostile/logits_tiny_vit.npy")),
                        &err),
              2)
        << err;
    expect_one_line_naming(err, npy.string());
  }
}

}  // namespace
}  // namespace vit

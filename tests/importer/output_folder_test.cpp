// What vitimport --out may replace: never an input (the folder itself, a folder around it or
// one inside it), a non-model folder only with --overwrite-any-folder; and the folder it writes
// gets the mode mkdir would give it.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

int import(const std::string& checkpoint, const std::string& out, const std::string& extra, std::string* output) {
  return test::run_command(test::tool_path("vitimport") + " --no-cache --checkpoint '" + checkpoint + "' --out '" +
                               out + "' " + extra,
                           output);
}

bool one_line(const std::string& output) { return output.find('\n') == output.size() - 1; }

// A copy of a small checkpoint folder that a wrong --out would destroy.
std::string copied_checkpoint(const std::string& dir) {
  const std::string checkpoint = dir + "/checkpoint";
  fs::copy(test::fixture("vit_classifier"), checkpoint, fs::copy_options::recursive);
  return checkpoint;
}

void expect_intact(const std::string& checkpoint) {
  for (const auto& entry : fs::directory_iterator(test::fixture("vit_classifier")))
    EXPECT_TRUE(fs::is_regular_file(fs::path(checkpoint) / entry.path().filename())) << entry.path().filename();
}

TEST(OutputFolder, AnOutputThatIsHoldsOrLiesInsideTheInputIsRefused) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::scratch_dir("overlap");
  const std::string checkpoint = copied_checkpoint(dir);
  fs::create_directory_symlink("checkpoint", dir + "/link");
  const std::string weights = checkpoint + "/pytorch_model.bin";
  struct Case {
    std::string checkpoint, out, message;
  };
  for (const Case& c : {Case{checkpoint, checkpoint, "is the input"}, Case{checkpoint, dir + "/link", "is the input"},
                        Case{checkpoint, dir, "contains the input"}, Case{checkpoint, checkpoint + "/sub", "is inside"},
                        Case{weights, dir, "contains the input"}, Case{weights, weights, "is the input"}}) {
    std::string output;
    const int code = import(c.checkpoint, c.out, "--overwrite-any-folder", &output);
    SCOPED_TRACE(c.checkpoint + " -> " + c.out);
    EXPECT_EQ(code, 2) << output;
    EXPECT_NE(output.find(c.message), std::string::npos) << output;
    EXPECT_TRUE(one_line(output)) << output;
    expect_intact(checkpoint);
    EXPECT_FALSE(fs::exists(checkpoint + "/sub"));
  }
}

TEST(OutputFolder, ANonModelFolderIsReplacedOnlyWithOverwriteAnyFolder) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::scratch_dir("non_model");
  const std::string out = dir + "/photos";
  fs::create_directories(out);
  { std::ofstream(out + "/holiday.jpg") << "precious"; }
  std::string output;
  EXPECT_EQ(import(test::fixture("vit_classifier"), out, "--overwrite", &output), 2) << output;
  EXPECT_NE(output.find("is a folder but not a model folder"), std::string::npos) << output;
  EXPECT_TRUE(one_line(output)) << output;
  EXPECT_EQ(test::read_text(out + "/holiday.jpg"), "precious");

  EXPECT_EQ(import(test::fixture("vit_classifier"), out, "--overwrite-any-folder", &output), 0) << output;
  EXPECT_TRUE(fs::is_regular_file(out + "/config.json"));
  EXPECT_FALSE(fs::exists(out + "/holiday.jpg"));
  // A model folder and an empty folder take a plain --overwrite.
  EXPECT_EQ(import(test::fixture("vit_classifier"), out, "--overwrite", &output), 0) << output;
  fs::create_directories(dir + "/empty");
  EXPECT_EQ(import(test::fixture("vit_classifier"), dir + "/empty", "--overwrite", &output), 0) << output;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(OutputFolder, TheWrittenFolderGetsTheModeTheUmaskGives) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::scratch_dir("mode");
  std::string output;
  for (const auto& [mask, mode] : {std::pair<const char*, mode_t>{"022", 0755}, {"027", 0750}, {"002", 0775}}) {
    const std::string out = dir + "/model_" + mask;
    ASSERT_EQ(test::run_command(std::string("umask ") + mask + " && " + test::tool_path("vitimport") +
                                    " --no-cache --checkpoint " + test::fixture("vit_classifier") + " --out " + out,
                                &output),
              0)
        << output;
    EXPECT_EQ(mode_of(out), mode) << "umask " << mask;
  }
}

}  // namespace
}  // namespace vit

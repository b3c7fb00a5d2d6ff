// vitrun FOLDER: a broken entry inside the folder (a link loop, a dangling link, a FIFO) costs
// one line on stderr and exit 3, and every other image is still processed. @list files keep
// each name exactly as written, trailing spaces included.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "imported_model.h"
#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class ImageFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::shared_dir().empty()) GTEST_SKIP() << "../shared is absent";
    dir_ = test::scratch_dir("images");
    model_ = test::import_to_scratch(test::fixture("vit_classifier"), "model");
  }
  std::string image(const std::string& name) { return test::test_data("engine") + "/" + name; }
  // vitrun's exit code; stdout and stderr in *out.
  int vitrun(const std::string& args, std::string* out) {
    return test::run_command("timeout 20 " + test::tool_path("vitrun") + " --no-cache --model " + model_ + " " + args,
                             out);
  }
  std::string dir_, model_;
};

TEST_F(ImageFolder, BrokenEntriesAreReportedOneLineEachAndTheRestIsProcessed) {
  const std::string folder = dir_ + "/photos";
  fs::create_directories(folder + "/not_an_image.png");  // a folder named like an image: skipped
  fs::copy_file(image("png_rgb8.png"), folder + "/a_good.png");
  fs::copy_file(image("bmp_rgb24.bmp"), folder + "/z_good.bmp");
  fs::create_symlink("loop_b.png", folder + "/loop_a.png");
  fs::create_symlink("loop_a.png", folder + "/loop_b.png");
  fs::create_symlink("nowhere.png", folder + "/dangling.png");
  ASSERT_EQ(::mkfifo((folder + "/pipe.png").c_str(), 0600), 0);
  std::string out;
  EXPECT_EQ(vitrun(folder, &out), 3) << out;
  EXPECT_NE(out.find(folder + "/a_good.png\n"), std::string::npos) << out;
  EXPECT_NE(out.find(folder + "/z_good.bmp\n"), std::string::npos) << out;
  for (const char* bad : {"loop_a.png", "loop_b.png", "dangling.png", "pipe.png"})
    EXPECT_EQ(count_of(out, "vitrun: " + folder + "/" + bad + ": "), 1u) << bad << "\n" << out;
  EXPECT_EQ(count_of(out, "vitrun: "), 4u) << out;
  EXPECT_EQ(out.find("not_an_image"), std::string::npos) << out;
}

TEST_F(ImageFolder, ListFileNamesKeepTrailingSpaces) {
  const std::string spaced = dir_ + "/photo.png ";
  fs::copy_file(image("png_rgb8.png"), spaced);
  const std::string list = dir_ + "/list.txt";
  std::ofstream(list) << "# comment\n" << spaced << "\r\n\n" << spaced << "\n";
  std::string out;
  EXPECT_EQ(vitrun("@" + list, &out), 0) << out;
  EXPECT_EQ(count_of(out, spaced + "\n"), 2u) << out;
}

}  // namespace
}  // namespace vit

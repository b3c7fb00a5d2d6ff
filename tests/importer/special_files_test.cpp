// The tools refuse a FIFO wherever they read a file (checkpoint, weights, image, pixels,
// vitinspect) and a huge sparse config.json or image, fast and with one line, never waiting
// on a writer nor reading gigabytes of holes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "imported_model.h"
#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

struct Outcome {
  int code = 0;
  std::string output;
  double seconds = 0;
};

// Runs a tool of this project; `timeout` turns a hang into exit 124 instead of a stuck test.
Outcome run_tool(const std::string& tool, const std::string& args) {
  Outcome o;
  const auto start = std::chrono::steady_clock::now();
  o.code = test::run_command("timeout 10 " + test::tool_path(tool) + " " + args, &o.output);
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return o;
}

void expect_refused(const Outcome& o, int code, const std::string& file) {
  EXPECT_EQ(o.code, code) << o.output;
  EXPECT_EQ(o.output.find('\n'), o.output.size() - 1) << "not one line: " << o.output;
  EXPECT_NE(o.output.find(file), std::string::npos) << o.output;
  EXPECT_LT(o.seconds, 5.0) << o.output;
}

std::string make_fifo(const std::string& path) {
  EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0) << path;
  return path;
}

std::string make_sparse(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EXPECT_GE(fd, 0) << path;
  EXPECT_EQ(::ftruncate(fd, off_t{3} << 30), 0) << path;
  ::close(fd);
  return path;
}

// A small imported model folder, and a copy of it whose `replaced` file is swapped for `make`'s.
class SpecialFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::shared_dir().empty()) GTEST_SKIP() << "../shared is absent";
    dir_ = test::scratch_dir("special");
    model_ = test::import_to_scratch(test::fixture("vit_classifier"), "model");
  }
  std::string model_with(const std::string& replaced, std::string (*make)(const std::string&)) {
    const std::string copy = dir_ + "/model_" + replaced;
    fs::copy(model_, copy, fs::copy_options::recursive);
    fs::remove(copy + "/" + replaced);
    return make(copy + "/" + replaced);
  }
  std::string dir_, model_;
};

TEST_F(SpecialFiles, AFifoIsRefusedAtOnceEverywhere) {
  const std::string fifo_checkpoint = make_fifo(dir_ + "/checkpoint.pth");
  expect_refused(run_tool("vitimport", "--no-cache --checkpoint " + fifo_checkpoint + " --out " + dir_ + "/out"), 2,
                 fifo_checkpoint);
  expect_refused(run_tool("vitinspect", fifo_checkpoint), 2, fifo_checkpoint);
  const std::string fifo_image = make_fifo(dir_ + "/photo.png");
  expect_refused(run_tool("vitrun", "--no-cache --model " + model_ + " " + fifo_image), 3, fifo_image);
  const std::string fifo_pixels = make_fifo(dir_ + "/pixels.npy");
  expect_refused(run_tool("vitrun", "--no-cache --model " + model_ + " --input " + fifo_pixels + " --output " + dir_ +
                                        "/out.npy"),
                 2, fifo_pixels);
  for (const char* file : {"model.safetensors", "config.json", "preprocessor_config.json"}) {
    const std::string fifo = model_with(file, make_fifo);
    expect_refused(run_tool("vitrun", "--no-cache --model " + fs::path(fifo).parent_path().string() + " " + fifo_image),
                   2, fifo);
  }
}

TEST_F(SpecialFiles, AHugeSparseConfigOrImageIsRefusedWithoutReadingIt) {
  const std::string config = model_with("config.json", make_sparse);
  expect_refused(run_tool("vitrun", "--no-cache --model " + fs::path(config).parent_path().string() + " x.png"), 2,
                 config);
  const std::string image = make_sparse(dir_ + "/huge.png");
  const Outcome o = run_tool("vitrun", "--no-cache --model " + model_ + " " + image);
  expect_refused(o, 3, image);
  EXPECT_LT(o.seconds, 0.5) << "the image was read whole before being refused";
}

}  // namespace
}  // namespace vit

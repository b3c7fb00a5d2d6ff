// Images whose shape would make preprocessing allocate far more than the image itself (a
// 400000x1 image resized to a short side of 32 is 12.8 million x 32 pixels): refused
// with one line naming the file, under an address-space limit, while the other images go on.
#include <fstream>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

#include "imported_model.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

constexpr int kAddressSpaceKb = 1024 * 1024;  // vitrun with the digits model needs ~150 MB

void append(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}

// A gray PNG of width x height with a few levels.
void write_png(const std::string& path, int width, int height) {
  std::string pixels(static_cast<size_t>(width) * height, '\0');
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<char>(i % 251);
  std::string png;
  ASSERT_TRUE(stbi_write_png_to_func(append, &png, width, height, 1, pixels.data(), width));
  std::ofstream(path, std::ios::binary) << png;
}

std::string timm_model(const std::string& scratch) {
  const std::string dir = test::scratch_dir(scratch) + "/model";
  std::string output;
  const int code = test::run_command(test::tool_path("vitimport") + " --checkpoint " + test::tests_dir() +
                                         "/../models/bundled/digits --out " + dir + " --processor timm --no-cache",
                                     &output);
  EXPECT_EQ(code, 0) << output;
  return dir;
}

TEST(ImageLimits, ExtremeAspectRatiosAreRefusedNamingTheFile) {
  const std::string model = timm_model("model");
  const std::string dir = test::scratch_dir("images");
  for (const auto& [name, width, height] : {std::tuple{"wide.png", 400000, 1}, {"tall.png", 1, 400000}})
    write_png(dir + "/" + name, width, height);
  write_png(dir + "/fine.png", 40, 30);
  std::string output;
  const int code = test::run_command("ulimit -v " + std::to_string(kAddressSpaceKb) + "; " + test::tool_path("vitrun") +
                                         " --no-cache --model " + model + " " + dir + "/wide.png " + dir +
                                         "/tall.png " + dir + "/fine.png",
                                     &output);
  EXPECT_EQ(code, 3) << output;
  for (const char* name : {"wide.png", "tall.png"}) {
    const size_t at = output.find("vitrun: " + dir + "/" + name + ": preprocess: timm's resize would make");
    EXPECT_NE(at, std::string::npos) << output;
  }
  EXPECT_NE(output.find("fine.png"), std::string::npos) << output;
  EXPECT_EQ(output.find("bad_alloc"), std::string::npos) << output;
}

}  // namespace
}  // namespace vit

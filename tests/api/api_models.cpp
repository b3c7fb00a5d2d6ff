#include "api_models.h"

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vitcpp::test {

namespace {

std::string bundled_digits() { return (fs::path(vit::test::tests_dir()).parent_path() / "models/bundled/digits").string(); }

}  // namespace

const std::string& digits_folder() {
  static const std::string folder = [] {
    const std::string out = vit::test::scratch_dir("digits") + "/model";
    std::string log;
    const int rc = vit::test::run_command(
        vit::test::tool_path("vitimport") + " --checkpoint " + bundled_digits() + " --out " + out + " --overwrite", &log);
    if (rc != 0) ADD_FAILURE() << "vitimport failed (" << rc << "): " << log;
    return out;
  }();
  return folder;
}

std::vector<std::string> digit_images() {
  std::vector<std::string> images;
  for (const auto& entry : fs::directory_iterator(bundled_digits() + "/images")) images.push_back(entry.path().string());
  std::sort(images.begin(), images.end());
  return images;
}

int true_digit(const std::string& image_path) {
  const std::string stem = fs::path(image_path).stem().string();
  return stem.back() - '0';
}

}  // namespace vitcpp::test

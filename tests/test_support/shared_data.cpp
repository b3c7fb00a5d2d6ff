#include "test_support/shared_data.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace fs = std::filesystem;

namespace vit::test {

std::string shared_dir() {
  if (const char* env = std::getenv("VITCPP_SHARED_DIR")) return env;
  fs::path p = fs::path(VITCPP_SOURCE_DIR).parent_path() / "shared";
  return fs::is_directory(p / "fixtures") ? p.string() : std::string();
}

std::string fixtures_dir() {
  std::string s = shared_dir();
  return s.empty() ? s : s + "/fixtures";
}

std::string fixture(const std::string& name) { return fixtures_dir() + "/" + name; }

std::string scratch_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string test = info ? std::string(info->test_suite_name()) + "." + info->name() : "none";
  fs::path p = fs::path(VITCPP_BINARY_DIR) / "test_scratch" / test / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace vit::test

#include "test_support/shared_data.h"

#include <sys/wait.h>

#include <cstdio>
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

std::string build_dir() { return VITCPP_BINARY_DIR; }

std::string tests_dir() { return (fs::path(VITCPP_SOURCE_DIR) / "tests").string(); }

std::string test_data(const std::string& area) { return tests_dir() + "/" + area + "/data"; }

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

std::string tool_path(const std::string& name) { return std::string(VITCPP_BINARY_DIR) + "/tools/" + name; }

int run_command(const std::string& command, std::string* output) {
  std::string full = command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (!pipe) return -1;
  char buffer[4096];
  output->clear();
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output->append(buffer, n);
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace vit::test

// Locates the data beside the checkout (../shared) and gives each test a scratch folder.
#pragma once
#include <string>

namespace vit::test {

// ../shared/fixtures, ../shared/digits, ... ; empty when ../shared is absent.
std::string shared_dir();
std::string fixtures_dir();
std::string fixture(const std::string& name);  // fixtures_dir()/name
// The checkout's tests/ folder, and its <area>/data folder (test_data("formats") + "/x.pkl").
std::string tests_dir();
std::string build_dir();  // the build tree the tests were built in
std::string test_data(const std::string& area);
// A fresh, empty folder under the build tree for the calling test.
std::string scratch_dir(const std::string& name);
std::string read_text(const std::string& path);
// A built tool of this project, e.g. tool_path("vitimport").
std::string tool_path(const std::string& name);
// Runs a shell command; returns its exit code and puts stdout+stderr in *output.
int run_command(const std::string& command, std::string* output);

}  // namespace vit::test

// Skips the current test with a clear message when ../shared is absent (CI always has it).
#define VIT_REQUIRE_SHARED()                                                         \
  do {                                                                               \
    if (::vit::test::shared_dir().empty()) GTEST_SKIP() << "../shared is absent";     \
  } while (0)

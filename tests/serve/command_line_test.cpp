// vitserve's command line: --help lists the flags; bad values end it at once with one line
// naming the problem and exit code 2.
#include <gtest/gtest.h>

#include "api/api_models.h"
#include "test_support/shared_data.h"

namespace vit::test {
namespace {

TEST(ServeCommandLine, HelpListsEveryFlag) {
  std::string output;
  ASSERT_EQ(run_command(tool_path("vitserve") + " --help", &output), 0) << output;
  for (const char* flag : {"--model", "--host", "--port", "--max-batch", "--max-wait-ms", "--queue", "--threads",
                           "--api-key-file", "--max-body", "--timeout-ms"})
    EXPECT_NE(output.find(flag), std::string::npos) << flag;
}

TEST(ServeCommandLine, BadValuesAreRefusedWithTheReason) {
  const std::string model = " --model " + vitcpp::test::digits_folder();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "--model is required"},
      {" --model /nonexistent-folder", "/nonexistent-folder"},
      {model + " --max-batch 0", "--max-batch must be at least 1"},
      {model + " --port 70000", "--port must be at most 65535"},
      {model + " --max-body -5", "--max-body needs a positive byte count"},
      {model + " --timeout-ms soon", "--timeout-ms needs an integer"},
      {model + " --host 203.0.113.7 --port 1", "cannot listen there"},
      {model + " extra", "unexpected argument \"extra\""},
  };
  for (const auto& [arguments, message] : cases) {
    std::string output;
    EXPECT_EQ(run_command(tool_path("vitserve") + arguments, &output), 2) << arguments << ": " << output;
    EXPECT_NE(output.find(message), std::string::npos) << arguments << ": " << output;
  }
}

}  // namespace
}  // namespace vit::test

// The tools' shared command-line reader, and each tool's --help / bad-usage behaviour.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support/shared_data.h"
#include "tools/command_line.h"

namespace vit {
namespace {

const char kUsage[] = "usage: t --in FILE [--n N] [--x X] [--verbose]\n  -h, --help  this text\n";

CommandLine parse(std::vector<std::string> args, const std::string& usage = kUsage) {
  args.insert(args.begin(), "t");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return CommandLine(static_cast<int>(argv.size()), argv.data(), usage, {"--in", "--n", "--x"}, {"--verbose"});
}

std::string error_of(const std::vector<std::string>& args) {
  try {
    parse(args);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CommandLine, ReadsValuesSwitchesAndPositionals) {
  const CommandLine cl = parse({"--in", "a", "--n=7", "pos", "--verbose", "--x", "1", "--x", "2.5"});
  EXPECT_EQ(cl.get("--in"), "a");
  EXPECT_EQ(cl.get_int("--n", 0), 7);
  EXPECT_EQ(cl.get_double("--x", 0), 2.5);
  EXPECT_EQ(cl.all("--x"), (std::vector<std::string>{"1", "2.5"}));
  EXPECT_TRUE(cl.has("--verbose"));
  EXPECT_FALSE(cl.help());
  EXPECT_EQ(cl.positional(), std::vector<std::string>{"pos"});
  EXPECT_TRUE(parse({"-h"}).help());
  EXPECT_TRUE(parse({"--help"}).help());
}

TEST(CommandLine, BadUsageIsOneLineError) {
  EXPECT_EQ(error_of({"--bogus"}), "unknown option --bogus (see --help)");
  EXPECT_EQ(error_of({"--in"}), "--in needs a value");
  EXPECT_EQ(error_of({"--verbose=1"}), "--verbose takes no value");
  EXPECT_EQ(error_of({"--in", "a", "--n", "7x"}), "");  // read only when asked for
  EXPECT_THROW(parse({"--n", "7x"}).get_int("--n", 0), Error);
  EXPECT_THROW(parse({"--n", "99999999999"}).get_int("--n", 0), Error);
  EXPECT_THROW(parse({"--x", "1e"}).get_double("--x", 0), Error);
}

TEST(CommandLine, UsageTextMustListExactlyTheAcceptedFlags) {
  // Missing --verbose, and missing --help.
  EXPECT_THROW(parse({}, "usage: t --in FILE [--n N] [--x X] --help"), std::logic_error);
  EXPECT_THROW(parse({}, "usage: t --in FILE [--n N] [--x X] [--verbose]"), std::logic_error);
  // Mentions a flag the parser would refuse.
  EXPECT_THROW(parse({}, std::string(kUsage) + "  --quiet  less output\n"), std::logic_error);
  // A prefix is not a mention: --in does not cover --input.
  EXPECT_THROW(parse({}, "usage: t --input FILE [--n N] [--x X] [--verbose] --help"), std::logic_error);
}

struct Tool {
  const char* name;
  const char* usage_start;
};

class ToolUsage : public testing::TestWithParam<Tool> {};

TEST_P(ToolUsage, HelpListsEveryFlagAndBadUsageExitsTwo) {
  const std::string tool = test::tool_path(GetParam().name);
  std::string help, short_help, out;
  // The tool's own check (CommandLine) fails --help when its text and its flags disagree.
  ASSERT_EQ(test::run_command(tool + " --help", &help), 0) << help;
  EXPECT_EQ(help.rfind(GetParam().usage_start, 0), 0u) << help;
  EXPECT_NE(help.find("--help"), std::string::npos) << help;
  ASSERT_EQ(test::run_command(tool + " -h", &short_help), 0) << short_help;
  EXPECT_EQ(short_help, help);
  EXPECT_EQ(test::run_command(tool + " --no-such-flag", &out), 2) << out;
  EXPECT_EQ(out, std::string(GetParam().name) + ": unknown option --no-such-flag (see --help)\n");
}

INSTANTIATE_TEST_SUITE_P(Tools, ToolUsage,
                         testing::Values(Tool{"vitimport", "usage: vitimport --checkpoint PATH"},
                                         Tool{"vitrun", "usage: vitrun --model DIR"},
                                         Tool{"vitinspect", "usage: vitinspect [--scan] FILE"}),
                         [](const testing::TestParamInfo<Tool>& info) { return std::string(info.param.name); });

TEST(ToolUsage, VitinspectNeedsExactlyOneFile) {
  std::string out;
  EXPECT_EQ(test::run_command(test::tool_path("vitinspect"), &out), 2);
  EXPECT_EQ(out, "vitinspect: give exactly one FILE (see --help)\n");
  EXPECT_EQ(test::run_command(test::tool_path("vitinspect") + " a b", &out), 2);
  EXPECT_EQ(out, "vitinspect: give exactly one FILE (see --help)\n");
}

}  // namespace
}  // namespace vit

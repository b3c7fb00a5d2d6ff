// The tools as `cmake --install` lays them out work without the source tree: its models/ is
// hidden behind an empty folder (a private mount namespace), so only the installed
// share/vitcpp/models can serve the architecture registry.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "test_support/shared_data.h"

namespace vit {
namespace {

namespace fs = std::filesystem;

// Runs `command` with the source tree's models/ replaced by an empty folder.
int without_source_models(const std::string& scratch, const std::string& command, std::string* output) {
  const std::string empty = scratch + "/empty";
  fs::create_directories(empty);
  const std::string models = fs::canonical(test::tests_dir() + "/../models").string();
  return test::run_command("unshare --mount --propagation private sh -c 'mount --bind " + empty + " " + models +
                               " && env -u VITCPP_MODELS_DIR " + command + "'",
                           output);
}

TEST(InstalledTools, VitimportFindsItsDataBesideTheInstalledBinary) {
  const std::string scratch = test::scratch_dir("install");
  const std::string prefix = scratch + "/prefix";
  std::string output;
  ASSERT_EQ(test::run_command("cmake --install " + test::build_dir() + " --prefix " + prefix, &output), 0) << output;
  ASSERT_TRUE(fs::is_regular_file(prefix + "/share/vitcpp/models/timm_architectures.json"));
  fs::copy(test::tests_dir() + "/../models/bundled/digits", scratch + "/digits", fs::copy_options::recursive);
  const std::string import = prefix + "/bin/vitimport --checkpoint " + scratch + "/digits --no-cache --out ";
  EXPECT_EQ(without_source_models(scratch, import + scratch + "/out", &output), 0) << output;
  EXPECT_TRUE(fs::is_regular_file(scratch + "/out/model.safetensors")) << output;

  fs::remove_all(prefix + "/share/vitcpp/models");
  EXPECT_EQ(without_source_models(scratch, import + scratch + "/out2", &output), 2) << output;
  EXPECT_NE(output.find("timm_architectures.json"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(scratch + "/out2"));
}

}  // namespace
}  // namespace vit

// vitimport refuses weights holding NaN or Inf even without reference outputs (which would
// catch them as failed verification), naming the first such tensor; --allow-nonfinite imports
// them anyway.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

// *stderr_only gets what vitimport wrote to stderr.
int vitimport(const std::string& args, std::string* stderr_only) {
  return test::run_command("{ " + test::tool_path("vitimport") + " --no-cache --num-heads 2 " + args +
                               " 2>&1 >/dev/null; }",
                           stderr_only);
}

std::string hostile(const std::string& name) { return test::test_data("importer") + "/hostile/" + name; }

TEST(NonFiniteWeights, AreRefusedWithoutReferencesNamingTheFirstTensor) {
  const std::string dir = test::scratch_dir("refused");
  for (const auto& [file, kind] : {std::pair<const char*, const char*>{"st_tiny_vit_nan.safetensors", "NaN"},
                                   {"st_tiny_vit_inf.safetensors", "Inf"}}) {
    SCOPED_TRACE(file);
    const std::string out = dir + "/model";
    for (const std::string& target : {std::string(" --out ") + out, std::string()}) {  // writing, or verifying only
      std::string output;
      EXPECT_EQ(vitimport("--checkpoint " + hostile(file) + target, &output), 2) << output;
      EXPECT_EQ(output.rfind(std::string("vitimport: ") + hostile(file) + ": tensor ", 0), 0u) << output;
      EXPECT_NE(output.find(std::string("the first, ") + kind), std::string::npos) << output;
      EXPECT_NE(output.find("--allow-nonfinite"), std::string::npos) << output;
      EXPECT_EQ(output.find('\n'), output.size() - 1) << "not one line: " << output;
      EXPECT_FALSE(fs::exists(out));
    }
  }
}

TEST(NonFiniteWeights, AreImportedWithAllowNonfinite) {
  const std::string out = test::scratch_dir("allowed") + "/model";
  std::string output;
  EXPECT_EQ(vitimport("--checkpoint " + hostile("st_tiny_vit_nan.safetensors") + " --allow-nonfinite --out " + out,
                      &output),
            0)
      << output;
  EXPECT_TRUE(fs::is_regular_file(out + "/model.safetensors"));
  // A clean checkpoint is not affected.
  EXPECT_EQ(vitimport("--checkpoint " + hostile("st_tiny_vit_clean.safetensors") + " --out " + out + "_clean", &output),
            0)
      << output;
}

}  // namespace
}  // namespace vit

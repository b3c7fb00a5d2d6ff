// What vitimport refuses, with which message and exit code, and that it leaves no folder.
#include <filesystem>

#include <fstream>

#include <gtest/gtest.h>

#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

struct Refusal {
  const char* fixture;
  const char* extra_args;
  const char* message;  // must appear in the one-line error
};

std::ostream& operator<<(std::ostream& os, const Refusal& r) { return os << r.fixture << " " << r.extra_args; }

class Refused : public ::testing::TestWithParam<Refusal> {};

TEST_P(Refused, ExitsTwoWithTheReasonAndWritesNothing) {
  VIT_REQUIRE_SHARED();
  const Refusal& r = GetParam();
  const std::string out = test::scratch_dir("out") + "/model";
  std::string output;
  const int code = test::run_command(test::tool_path("vitimport") + " --checkpoint " + test::fixture(r.fixture) +
                                         " --out " + out + " " + r.extra_args,
                                     &output);
  std::cout << "[ message  ] " << output;
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find(r.message), std::string::npos) << output;
  EXPECT_NE(output.find("vitimport: "), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(out));
  for (const auto& entry : fs::directory_iterator(fs::path(out).parent_path()))
    ADD_FAILURE() << "left behind: " << entry.path();
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, Refused,
    ::testing::Values(
        Refusal{"vit_hybrid", "", "is not supported because it is a hybrid ResNet-ViT"},
        Refusal{"vit_hybrid", "--hf-only", "is not supported because it is a hybrid ResNet-ViT"},
        Refusal{"vit_avgpool_fcnorm", "--hf-only",
                "vit_tiny_patch16_224 is not supported in transformers because of the presence of fc_norm."},
        Refusal{"vit_gap_noclass", "--hf-only", "because of use of global average pooling."},
        Refusal{"vit_layerscale", "--hf-only", "because it uses a layer scale in its blocks."},
        Refusal{"vit_clip_style", "--hf-only", "because it's a CLIP style ViT with norm_pre layer."},
        Refusal{"vit_siglip_map", "--hf-only", "because it's a SigLIP style ViT with attn_pool."},
        Refusal{"vit_reg4", "--hf-only", "because of the presence of fc_norm."},
        Refusal{"vit_noqkvbias_qknorm", "--hf-only", "because it normalises queries and keys (qk_norm)."},
        Refusal{"deit_distilled", "--hf-only", "because it has a distillation token (DeiT distilled)."},
        Refusal{"vit_classifier", "--vit_name deit_tiny_patch16_224", "conflicts with architecture"},
        Refusal{"vit_classifier", "--num-heads 3", "conflicts with the checkpoint's own num_heads"},
        Refusal{"vit_classifier", "--bogus", "unknown option --bogus"}),
    [](const ::testing::TestParamInfo<Refusal>& info) {
      std::string name = std::string(info.param.fixture) + "_" + std::to_string(info.index);
      return name;
    });

TEST(Refused, TrainCheckpointWithoutArchitectureFactsNamesWhatIsMissing) {
  VIT_REQUIRE_SHARED();
  // The registry's vit_small has 384 wide blocks; the checkpoint has 64.
  std::string output;
  const int code = test::run_command(test::tool_path("vitimport") + " --checkpoint " +
                                         test::fixture("vit_classifier/pytorch_model.bin") +
                                         " --vit_name vit_small_patch16_224",
                                     &output);
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("has embed_dim = 384 but the weights have 64"), std::string::npos) << output;
}

TEST(Refused, HeadsThatDoNotDivideTheWidth) {
  VIT_REQUIRE_SHARED();
  std::string output;
  const int code = test::run_command(test::tool_path("vitimport") + " --checkpoint " +
                                         test::fixture("vit_classifier/pytorch_model.bin") + " --num-heads 5",
                                     &output);
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("hidden size 64 is not divisible by 5 attention heads"), std::string::npos) << output;
}

TEST(Refused, ExistingFolderNeedsOverwrite) {
  VIT_REQUIRE_SHARED();
  const std::string out = test::scratch_dir("existing");
  std::string output;
  const std::string cmd = test::tool_path("vitimport") + " --checkpoint " + test::fixture("vit_classifier") + " --out " + out;
  EXPECT_EQ(test::run_command(cmd, &output), 2);
  EXPECT_NE(output.find("already exists (pass --overwrite to replace it)"), std::string::npos) << output;
  EXPECT_EQ(test::run_command(cmd + " --overwrite", &output), 0) << output;
  EXPECT_TRUE(fs::exists(out + "/model.safetensors"));
}

TEST(Refused, MissingParentFoldersAreCreatedAndAFileInTheWayIsNamed) {
  VIT_REQUIRE_SHARED();
  const std::string scratch = test::scratch_dir("nested");
  std::string output;
  const std::string cmd = test::tool_path("vitimport") + " --checkpoint " + test::fixture("vit_classifier") + " --out ";
  EXPECT_EQ(test::run_command(cmd + scratch + "/new/place/model", &output), 0) << output;
  EXPECT_TRUE(fs::exists(scratch + "/new/place/model/model.safetensors"));
  std::ofstream(scratch + "/a_file") << "x";
  EXPECT_EQ(test::run_command(cmd + scratch + "/a_file/model", &output), 2) << output;
  EXPECT_NE(output.find("cannot create its parent folder"), std::string::npos) << output;
}

TEST(Refused, VerificationFailureExitsOneAndWritesNothing) {
  VIT_REQUIRE_SHARED();
  // deit_classifier's references are not vit_classifier's outputs.
  const std::string out = test::scratch_dir("out") + "/model";
  std::string output;
  const std::string f = test::fixture("vit_classifier");
  const int code = test::run_command(test::tool_path("vitimport") + " --checkpoint " + f + " --out " + out +
                                         " --reference-input " + f + "/input.npy --reference-output " +
                                         test::fixture("noncontiguous") + "/pre_logits.npy",
                                     &output);
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find("FAILED"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(out));
}

TEST(Vitrun, ReproducesLogitsFromTheCommandLine) {
  VIT_REQUIRE_SHARED();
  const std::string work = test::scratch_dir("run");
  const std::string f = test::fixture("deit_distilled");
  std::string output;
  ASSERT_EQ(test::run_command(test::tool_path("vitimport") + " --checkpoint " + f + " --out " + work + "/model", &output), 0)
      << output;
  ASSERT_EQ(test::run_command(test::tool_path("vitrun") + " --model " + work + "/model --input " + f +
                                  "/input.npy --output " + work + "/logits.npy",
                              &output),
            0)
      << output;
  std::string verify;
  // Importing again with the vitrun output as the reference must agree to the last bit.
  EXPECT_EQ(test::run_command(test::tool_path("vitimport") + " --checkpoint " + f + " --reference-input " + f +
                                  "/input.npy --reference-output " + work + "/logits.npy --atol 0",
                              &verify),
            0)
      << verify;
  EXPECT_EQ(test::run_command(test::tool_path("vitrun") + " --model " + work + "/model --input " + f +
                                  "/input.npy --output " + work + "/x.npy --output-kind nonsense",
                              &output),
            2);
}

}  // namespace
}  // namespace vit

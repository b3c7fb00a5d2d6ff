// vitinspect lists tensors and the non-tensor structure of every supported file type.
#include <gtest/gtest.h>

#include "test_support/shared_data.h"

namespace vit {
namespace {

std::string inspect(const std::string& path, int* code) {
  std::string output;
  *code = test::run_command(test::tool_path("vitinspect") + " " + path, &output);
  return output;
}

TEST(Vitinspect, TrainingCheckpointShowsTensorsAndStructure) {
  VIT_REQUIRE_SHARED();
  int code = 0;
  const std::string out = inspect(test::fixture("train_checkpoint/model_best.pth.tar"), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("state_dict/module.cls_token"), std::string::npos) << out;
  EXPECT_NE(out.find("state_dict_ema/pos_embed"), std::string::npos) << out;
  EXPECT_NE(out.find("[1, 17, 64]"), std::string::npos) << out;
  EXPECT_NE(out.find("arch: 'vit_tiny_patch16_224'"), std::string::npos) << out;
  EXPECT_NE(out.find("argparse.Namespace"), std::string::npos) << out;
}

TEST(Vitinspect, SafetensorsNpyAndLegacy) {
  VIT_REQUIRE_SHARED();
  int code = 0;
  std::string out = inspect(test::fixture("vit_classifier/logits.npy"), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("[2, 1000]"), std::string::npos) << out;
  out = inspect(test::fixture("legacy_format/pytorch_model.bin"), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("blocks.1.mlp.fc2.weight"), std::string::npos) << out;
  const std::string folder = test::scratch_dir("model");
  std::string ignored;
  ASSERT_EQ(test::run_command(test::tool_path("vitimport") + " --checkpoint " + test::fixture("vit_classifier") +
                                  " --out " + folder + "/m",
                              &ignored),
            0)
      << ignored;
  out = inspect(folder + "/m/model.safetensors", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("vit.encoder.layer.1.attention.attention.query.weight"), std::string::npos) << out;
}

TEST(Vitinspect, RefusesWhatItCannotRead) {
  VIT_REQUIRE_SHARED();
  int code = 0;
  const std::string out = inspect(test::fixture("vit_classifier/config.json"), &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("vitinspect: "), std::string::npos) << out;
}

}  // namespace
}  // namespace vit

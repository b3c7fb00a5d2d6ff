// Every output of every Hugging Face fixture folder, through `vitrun --input/--output`, against
// the genuine transformers code's float32 reference, with the tolerance the fixture README
// suggests: 1e-4 * max(1, max|ref|). Each test prints the measured error.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "formats/npy.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

struct HfOutput {
  const char* folder;
  const char* input;      // .npy pixels in the folder
  const char* kind;       // --output-kind
  const char* reference;  // .npy in the folder
};

std::ostream& operator<<(std::ostream& os, const HfOutput& o) {
  return os << o.folder << " " << o.input << " " << o.kind << " vs " << o.reference;
}

std::string hf_fixture(const std::string& folder) { return test::fixtures_dir() + "/hf/" + folder; }

// Fails the test unless `got` matches `reference` within the fixture tolerance; prints the error.
void expect_matches_reference(const std::string& got_path, const std::string& reference_path) {
  const std::vector<float> got = read_npy(got_path).tensor().to_float();
  const NpyArray reference_array = read_npy(reference_path);
  const std::vector<float> reference = reference_array.tensor().to_float();
  EXPECT_EQ(read_npy(got_path).shape, reference_array.shape);
  ASSERT_EQ(got.size(), reference.size());
  double max_error = 0.0, max_reference = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    max_error = std::max(max_error, std::abs(static_cast<double>(got[i]) - reference[i]));
    max_reference = std::max(max_reference, std::abs(static_cast<double>(reference[i])));
  }
  const double tolerance = 1e-4 * std::max(1.0, max_reference);
  std::cout << "[ measured ] " << reference_path.substr(reference_path.find("/hf/") + 4) << ": max|err| " << max_error
            << " (tolerance " << tolerance << ")\n";
  EXPECT_LE(max_error, tolerance);
}

class HfFolderOutputs : public ::testing::TestWithParam<HfOutput> {};

TEST_P(HfFolderOutputs, VitrunMatchesTransformers) {
  VIT_REQUIRE_SHARED();
  const HfOutput& o = GetParam();
  const std::string dir = hf_fixture(o.folder);
  const std::string out = test::scratch_dir("hf_output") + "/out.npy";
  std::string log;
  const int code = test::run_command(test::tool_path("vitrun") + " --no-cache --model " + dir + " --input " + dir +
                                         "/" + o.input + " --output " + out + " --output-kind " + o.kind,
                                     &log);
  ASSERT_EQ(code, 0) << log;
  expect_matches_reference(out, dir + "/" + o.reference);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, HfFolderOutputs,
    ::testing::Values(HfOutput{"vit_classifier", "input.npy", "logits", "logits.npy"},
                      HfOutput{"vit_classifier", "input.npy", "features", "features.npy"},
                      HfOutput{"vit_classifier", "input.npy", "pre_logits", "pre_logits.npy"},
                      HfOutput{"vit_classifier", "pixels_chelsea.npy", "logits", "logits_chelsea.npy"},
                      HfOutput{"vit_classifier", "pixels_chelsea.npy", "pre_logits", "pre_logits_chelsea.npy"},
                      HfOutput{"vit_pooler", "input.npy", "features", "features.npy"},
                      HfOutput{"vit_pooler", "input.npy", "pooler_output", "pooler_output.npy"},
                      HfOutput{"vit_pooler", "pixels_chelsea.npy", "pooler_output", "pooler_output_chelsea.npy"},
                      HfOutput{"deit_distilled", "input.npy", "logits", "logits.npy"},
                      HfOutput{"deit_distilled", "input.npy", "features", "features.npy"},
                      HfOutput{"deit_distilled", "pixels_chelsea.npy", "logits", "logits_chelsea.npy"},
                      HfOutput{"dinov2", "input.npy", "features", "features.npy"},
                      HfOutput{"dinov2", "input.npy", "pooler_output", "pre_logits.npy"},
                      HfOutput{"dinov2", "input_alt.npy", "features", "features_alt.npy"},
                      HfOutput{"dinov2", "input_alt.npy", "pooler_output", "pre_logits_alt.npy"},
                      HfOutput{"dinov2", "pixels_chelsea.npy", "pooler_output", "pre_logits_chelsea.npy"},
                      HfOutput{"clip", "input.npy", "image_embeds", "image_embeds.npy"},
                      HfOutput{"clip", "input.npy", "features", "features.npy"},
                      HfOutput{"clip", "input.npy", "pooler_output", "pre_logits.npy"},
                      HfOutput{"clip", "pixels_chelsea.npy", "image_embeds", "image_embeds_chelsea.npy"},
                      HfOutput{"clip", "pixels_chelsea.npy", "pooler_output", "pre_logits_chelsea.npy"},
                      HfOutput{"siglip", "input.npy", "features", "features.npy"},
                      HfOutput{"siglip", "input.npy", "pooler_output", "pre_logits.npy"},
                      HfOutput{"siglip", "pixels_chelsea.npy", "pooler_output", "pre_logits_chelsea.npy"}),
    [](const ::testing::TestParamInfo<HfOutput>& info) {
      return std::string(info.param.folder) + "_" + std::to_string(info.index);
    });

// What each family's embedding is: vitrun --embed on the photo the fixtures preprocessed gives
// the folder's embedding reference (through the folder's own preprocessor_config.json).
struct HfEmbedding {
  const char* folder;
  const char* reference;
};

std::ostream& operator<<(std::ostream& os, const HfEmbedding& e) { return os << e.folder << " vs " << e.reference; }

class HfFolderEmbeddings : public ::testing::TestWithParam<HfEmbedding> {};

TEST_P(HfFolderEmbeddings, VitrunEmbedOnThePhotoMatchesTransformers) {
  VIT_REQUIRE_SHARED();
  const HfEmbedding& e = GetParam();
  const std::string dir = hf_fixture(e.folder);
  const std::string out = test::scratch_dir("hf_embed") + "/embed.npy";
  std::string log;
  const int code = test::run_command(test::tool_path("vitrun") + " --no-cache --model " + dir + " " +
                                         test::fixtures_dir() + "/preprocess/chelsea.png --embed " + out,
                                     &log);
  ASSERT_EQ(code, 0) << log;
  expect_matches_reference(out, dir + "/" + e.reference);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HfFolderEmbeddings,
                         ::testing::Values(HfEmbedding{"vit_classifier", "pre_logits_chelsea.npy"},
                                           HfEmbedding{"vit_pooler", "pooler_output_chelsea.npy"},
                                           HfEmbedding{"dinov2", "pre_logits_chelsea.npy"},
                                           HfEmbedding{"clip", "image_embeds_chelsea.npy"},
                                           HfEmbedding{"siglip", "pre_logits_chelsea.npy"}),
                         [](const ::testing::TestParamInfo<HfEmbedding>& info) { return info.param.folder; });

}  // namespace
}  // namespace vit

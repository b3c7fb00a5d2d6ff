// The outputs each kind of model has (has_output, output_size, embedding_output) and what run
// gives for them, on Hugging Face folders of every family and the digits model.
#include <gtest/gtest.h>

#include "api_models.h"
#include "test_support/shared_data.h"
#include "vitcpp/vitcpp.h"

namespace vitcpp {
namespace {

Model load_hf(const std::string& folder) { return Model::load(vit::test::fixtures_dir() + "/hf/" + folder); }

struct Expected {
  const char* folder;
  unsigned outputs;  // mask of those it has
  Output embedding;
  int embedding_size;
};

std::ostream& operator<<(std::ostream& os, const Expected& e) { return os << e.folder; }

class ApiOutputs : public ::testing::TestWithParam<Expected> {};

TEST_P(ApiOutputs, EachFamilyHasItsOutputsAndRunGivesThemAtTheirSizes) {
  VIT_REQUIRE_SHARED();
  const Expected& e = GetParam();
  const Model model = load_hf(e.folder);
  unsigned has = 0;
  for (Output kind : {kLogits, kPreLogits, kFeatures, kPoolerOutput, kImageEmbeds})
    if (model.has_output(kind)) has |= kind;
  EXPECT_EQ(has, e.outputs);
  EXPECT_EQ(model.embedding_output(), e.embedding);
  EXPECT_EQ(model.output_size(e.embedding), e.embedding_size);
  const int h = model.input_height(), w = model.input_width();
  const std::vector<float> pixels(static_cast<size_t>(2) * 3 * h * w, 0.25f);
  const Outputs out = model.run(pixels.data(), pixels.size(), 2, h, w, has);
  for (Output kind : {kLogits, kPreLogits, kPoolerOutput, kImageEmbeds})
    EXPECT_EQ(out.of(kind).size(), static_cast<size_t>(2 * model.output_size(kind))) << output_name(kind);
  EXPECT_EQ(out.features.size(), static_cast<size_t>(2 * out.tokens * model.output_size(kFeatures)));
  EXPECT_EQ(model.output_size(kLogits), model.num_classes());
}

INSTANTIATE_TEST_SUITE_P(
    Folders, ApiOutputs,
    ::testing::Values(Expected{"vit_classifier", kLogits | kPreLogits | kFeatures, kPreLogits, 64},
                      Expected{"vit_pooler", kPreLogits | kFeatures | kPoolerOutput, kPoolerOutput, 64},
                      Expected{"deit_distilled", kLogits | kPreLogits | kFeatures, kPreLogits, 48},
                      Expected{"dinov2", kPreLogits | kFeatures | kPoolerOutput, kPoolerOutput, 96},
                      Expected{"clip", kPreLogits | kFeatures | kPoolerOutput | kImageEmbeds, kImageEmbeds, 48},
                      Expected{"siglip", kPreLogits | kFeatures | kPoolerOutput, kPoolerOutput, 64}),
    [](const ::testing::TestParamInfo<Expected>& info) { return info.param.folder; });

TEST(ApiOutputs, NamesAndKindsMapBothWays) {
  for (Output kind : {kLogits, kPreLogits, kFeatures, kPoolerOutput, kImageEmbeds}) {
    Output back = kLogits;
    EXPECT_TRUE(output_from_name(output_name(kind), &back));
    EXPECT_EQ(back, kind);
  }
  Output unchanged = kFeatures;
  EXPECT_FALSE(output_from_name("scores", &unchanged));
  EXPECT_EQ(unchanged, kFeatures);
}

TEST(ApiOutputs, AnOutputTheModelLacksIsRefusedByName) {
  const Model model = Model::load(test::digits_folder());
  EXPECT_FALSE(model.has_output(kImageEmbeds));
  EXPECT_EQ(model.output_size(kPoolerOutput), 0);
  const std::vector<float> pixels(static_cast<size_t>(3) * model.input_height() * model.input_width(), 0.0f);
  try {
    model.run(pixels.data(), pixels.size(), 1, model.input_height(), model.input_width(), kLogits | kImageEmbeds);
    ADD_FAILURE() << "ran";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("no visual projection, so no image_embeds"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vitcpp

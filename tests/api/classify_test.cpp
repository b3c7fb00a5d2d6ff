// classify, top_k and label of the public API on the digits model and on hand-made logits.
#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "api_models.h"
#include "vitcpp/vitcpp.h"

namespace vitcpp {
namespace {

TEST(ApiClassify, PredictionsAreSortedLabelledAndRight) {
  const Model model = Model::load(test::digits_folder());
  const std::vector<std::string> images = test::digit_images();
  constexpr int kImages = 8;
  std::vector<float> batch;
  for (int i = 0; i < kImages; ++i) {
    const std::vector<float> pixels = model.preprocess_file(images[i]);
    batch.insert(batch.end(), pixels.begin(), pixels.end());
  }
  const auto predictions = model.classify(batch.data(), batch.size(), kImages, 4);
  ASSERT_EQ(predictions.size(), static_cast<size_t>(kImages));
  for (int i = 0; i < kImages; ++i) {
    ASSERT_EQ(predictions[i].size(), 4u);
    EXPECT_EQ(predictions[i][0].index, test::true_digit(images[i])) << images[i];
    for (size_t k = 0; k < predictions[i].size(); ++k) {
      const Prediction& p = predictions[i][k];
      EXPECT_EQ(p.label, std::to_string(p.index));  // the folder's id2label
      if (k > 0) {
        EXPECT_GE(predictions[i][k - 1].probability, p.probability);
      }
    }
  }
  const std::vector<float> one(batch.begin(), batch.begin() + batch.size() / kImages);
  EXPECT_EQ(model.classify(one.data(), one.size(), 1, 99)[0].size(), 10u);  // clamped to the classes
  EXPECT_TRUE(model.classify(one.data(), one.size(), 1, 0)[0].empty());
  EXPECT_TRUE(model.classify(one.data(), one.size(), 1, -3)[0].empty());
}

TEST(ApiTopK, TiesClampingAndSoftmax) {
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 0.0f, -2.0f};
  const std::vector<Prediction> all = top_k(logits.data(), 5, 5, {"a", "b", "c"});
  ASSERT_EQ(all.size(), 5u);
  const std::vector<int> order = {1, 2, 0, 3, 4};  // equal logits: the lower index first
  for (int i = 0; i < 5; ++i) EXPECT_EQ(all[i].index, order[i]);
  EXPECT_EQ(all[0].label, "b");
  EXPECT_EQ(all[3].label, "LABEL_3");  // beyond the labels given
  double sum = 0.0;
  for (const Prediction& p : all) sum += p.probability;
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_FLOAT_EQ(all[0].probability, all[1].probability);
  const double expected_top = std::exp(3.0) / (std::exp(1.0) + 2 * std::exp(3.0) + 1.0 + std::exp(-2.0));
  EXPECT_NEAR(all[0].probability, expected_top, 1e-6);
  EXPECT_EQ(top_k(logits.data(), 5, 99).size(), 5u);
  EXPECT_TRUE(top_k(logits.data(), 5, 0).empty());
  EXPECT_TRUE(top_k(logits.data(), 5, -1).empty());
  EXPECT_TRUE(top_k(logits.data(), 0, 3).empty());
  const std::vector<float> large = {1000.0f, 999.0f};  // softmax must not overflow
  const std::vector<Prediction> two = top_k(large.data(), 2, 2);
  EXPECT_NEAR(two[0].probability, 1.0 / (1.0 + std::exp(-1.0)), 1e-6);
}

TEST(ApiLabel, InAndOutOfRange) {
  const Model model = Model::load(test::digits_folder());
  EXPECT_EQ(model.num_classes(), 10);
  EXPECT_EQ(model.label(0), "0");
  EXPECT_EQ(model.label(9), "9");
  EXPECT_EQ(model.label(10), "LABEL_10");
  EXPECT_EQ(model.label(-1), "LABEL_-1");
}

}  // namespace
}  // namespace vitcpp

#include "importer/imagenet_labels.h"

#include <set>

#include <gtest/gtest.h>

#include "formats/error.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

TEST(ImageNetLabels, InfersTheSubsetFromTheClassCountLikeTimm) {
  EXPECT_EQ(infer_imagenet_subset(1000), "imagenet-1k");
  EXPECT_EQ(infer_imagenet_subset(11221), "imagenet-21k-miil");
  EXPECT_EQ(infer_imagenet_subset(11821), "imagenet-12k");
  EXPECT_EQ(infer_imagenet_subset(21841), "imagenet-22k");
  EXPECT_EQ(infer_imagenet_subset(21842), "imagenet-22k-ms");
  EXPECT_EQ(infer_imagenet_subset(21843), "imagenet-21k-goog");
  for (int unknown : {0, -1, 1, 10, 100, 999, 1001, 10450, 21844})
    EXPECT_FALSE(infer_imagenet_subset(unknown)) << unknown;
}

TEST(ImageNetLabels, EachInferredSubsetHasThatManyLabels) {
  for (int count : {1000, 11221, 11821, 21841, 21842, 21843}) {
    const std::string subset = infer_imagenet_subset(count).value();
    const std::vector<std::string> names = imagenet_label_names(subset);
    EXPECT_EQ(names.size(), static_cast<size_t>(count)) << subset;
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size()) << subset;
    EXPECT_EQ(imagenet_label_descriptions(subset).size(), names.size()) << subset;
  }
}

// index_to_label_name is the synset id; index_to_description the lemma text.
TEST(ImageNetLabels, SpotChecksMatchTimm) {
  const std::vector<std::string> names = imagenet_label_names("imagenet-1k");
  const std::vector<std::string> text = imagenet_label_descriptions("imagenet-1k");
  EXPECT_EQ(names[0], "n01440764");
  EXPECT_EQ(text[0], "tench, Tinca tinca");
  EXPECT_EQ(names[1], "n01443537");
  EXPECT_EQ(text[1], "goldfish, Carassius auratus");
  EXPECT_EQ(names[281], "n02123045");
  EXPECT_EQ(text[281], "tabby, tabby cat");
  EXPECT_EQ(names[999], "n15075141");
  EXPECT_EQ(text[999], "toilet tissue, toilet paper, bathroom tissue");
  EXPECT_EQ(imagenet_label_names("imagenet-22k")[0], "n00004475");
  EXPECT_EQ(imagenet_label_descriptions("imagenet-22k")[0], "organism, being");
  EXPECT_EQ(imagenet_label_names("imagenet-12k")[0], "n00005787");
  EXPECT_EQ(imagenet_label_descriptions("imagenet-21k-miil")[0], "benthos");
  EXPECT_EQ(imagenet_label_names("imagenet-22k-ms")[0], "n01440764");  // 1k classes first
}

TEST(ImageNetLabels, SubsetNamesAreNormalisedLikeTimm) {
  EXPECT_EQ(imagenet_label_names("ImageNet_1K"), imagenet_label_names("imagenet-1k"));
  EXPECT_EQ(imagenet_label_names("imagenet 21k"), imagenet_label_names("imagenet-21k-goog"));
  try {
    imagenet_label_names("imagenet-5k");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("imagenet-5k"), std::string::npos) << e.what();
  }
}

TEST(ImageNetLabels, SameAsTheSharedTimmFiles) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::shared_dir() + "/labels/";
  const std::pair<const char*, const char*> files[] = {
      {"imagenet-1k", "imagenet_synsets.txt"},           {"imagenet-12k", "imagenet12k_synsets.txt"},
      {"imagenet-22k", "imagenet22k_synsets.txt"},       {"imagenet-21k-goog", "imagenet21k_goog_synsets.txt"},
      {"imagenet-21k-miil", "imagenet21k_miil_synsets.txt"}, {"imagenet-22k-ms", "imagenet22k_ms_synsets.txt"}};
  for (const auto& [subset, file] : files) {
    std::string joined;
    for (const std::string& name : imagenet_label_names(subset)) joined += name + "\n";
    EXPECT_EQ(joined, test::read_text(dir + file)) << subset;
  }
}

}  // namespace
}  // namespace vit

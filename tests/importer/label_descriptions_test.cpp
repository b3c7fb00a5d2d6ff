// ImageNet-1k synset labels get their WordNet lemmas next to them in vitrun's output, and
// other labels none; the folder's id2label is not changed.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "engine/api/imagenet_descriptions.h"
#include "formats/json_file.h"
#include "imported_model.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

TEST(LabelDescriptions, OnlyImagenet1kSynsetsHaveOne) {
  EXPECT_EQ(vitcpp::imagenet1k_description("n02123045"), "tabby, tabby cat");
  EXPECT_EQ(vitcpp::imagenet1k_description("n01440764"), "tench, Tinca tinca");  // the first
  EXPECT_EQ(vitcpp::imagenet1k_description("n15075141"), "toilet tissue, toilet paper, bathroom tissue");  // the last
  EXPECT_EQ(vitcpp::imagenet1k_description("n00004475"), "");  // in ImageNet-21k, not in 1k
  EXPECT_EQ(vitcpp::imagenet1k_description("7"), "");
  EXPECT_EQ(vitcpp::imagenet1k_description(""), "");
  EXPECT_EQ(vitcpp::imagenet1k_description("n02123045 "), "");
}

// The digits model with its ten classes renamed to ten ImageNet-1k synsets.
std::string digits_with_synset_labels(const nlohmann::json& synsets) {
  const std::string dir = test::import_to_scratch(test::tests_dir() + "/../models/bundled/digits", "synsets");
  nlohmann::json config = read_json_file(dir + "/config.json");
  for (int i = 0; i < 10; ++i) config["id2label"][std::to_string(i)] = synsets[i];
  write_json_file(dir + "/config.json", config);
  return dir;
}

TEST(LabelDescriptions, VitrunPrintsThemAndPutsThemInJson) {
  const nlohmann::json synsets = {"n01440764", "n01443537", "n01484850", "n01491361", "n01494475",
                                  "n01496331", "n01498041", "n01514668", "n02123045", "n01518878"};
  const std::string dir = digits_with_synset_labels(synsets);
  const std::string image = test::tests_dir() + "/../models/bundled/digits/images";
  std::string first;
  for (const auto& entry : std::filesystem::directory_iterator(image))
    if (first.empty() || entry.path().string() < first) first = entry.path().string();
  std::string json_out, text_out;
  ASSERT_EQ(test::run_command(test::tool_path("vitrun") + " --no-cache --model " + dir + " --topk 10 --json " + first,
                              &json_out),
            0)
      << json_out;
  const nlohmann::json line = nlohmann::json::parse(json_out);
  ASSERT_EQ(line["topk"].size(), 10u);
  for (const auto& p : line["topk"]) {
    const std::string label = p["label"];
    EXPECT_EQ(p["description"], vitcpp::imagenet1k_description(label)) << label;
    EXPECT_NE(p["description"], "") << label;
  }
  ASSERT_EQ(test::run_command(test::tool_path("vitrun") + " --no-cache --model " + dir + " --topk 10 " + first,
                              &text_out),
            0);
  EXPECT_NE(text_out.find("n02123045 tabby, tabby cat (8)"), std::string::npos) << text_out;
  EXPECT_EQ(read_json_file(dir + "/config.json")["id2label"]["8"], "n02123045");
}

TEST(LabelDescriptions, OtherLabelsGetAnEmptyDescription) {
  const std::string dir = test::import_to_scratch(test::tests_dir() + "/../models/bundled/digits", "plain");
  std::string out;
  const std::string images = test::tests_dir() + "/../models/bundled/digits/images";
  ASSERT_EQ(test::run_command(test::tool_path("vitrun") + " --no-cache --model " + dir + " --topk 2 --json " + images +
                                  " | head -1",
                              &out),
            0);
  const nlohmann::json line = nlohmann::json::parse(out);
  for (const auto& p : line["topk"]) EXPECT_EQ(p["description"], "");
}

}  // namespace
}  // namespace vit

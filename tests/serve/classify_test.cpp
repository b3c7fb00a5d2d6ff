// vitserve's answers agree with vitrun on the digits model, for raw and multipart bodies.
#include <cstring>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/api_models.h"
#include "formats/npy.h"
#include "serve/server_process.h"
#include "test_support/shared_data.h"

namespace vit::test {
namespace {

// vitrun --json --topk 3 on every digit image: one JSON object per image, in order.
std::vector<nlohmann::json> vitrun_answers(const std::vector<std::string>& images) {
  std::string command = tool_path("vitrun") + " --model " + vitcpp::test::digits_folder() + " --json --topk 3";
  for (const std::string& image : images) command += " " + image;
  std::string output;
  EXPECT_EQ(run_command(command + " 2>/dev/null", &output), 0) << output;
  std::vector<nlohmann::json> answers;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) answers.push_back(nlohmann::json::parse(line));
  return answers;
}

void expect_same_topk(const nlohmann::json& served, const nlohmann::json& expected, const std::string& image) {
  ASSERT_EQ(served.size(), expected.size()) << image;
  for (size_t i = 0; i < served.size(); ++i) {
    EXPECT_EQ(served[i]["index"], expected[i]["index"]) << image;
    EXPECT_EQ(served[i]["label"], expected[i]["label"]) << image;
    EXPECT_EQ(served[i]["description"], "") << image;
    EXPECT_NEAR(served[i]["prob"].get<double>(), expected[i]["prob"].get<double>(), 1e-5) << image;
  }
}

TEST(Serve, ClassifyMatchesVitrunOnEveryDigit) {
  ServerProcess server(vitcpp::test::digits_folder(), {});
  ASSERT_NE(server.pid(), 0);
  const std::vector<std::string> images = vitcpp::test::digit_images();
  const std::vector<nlohmann::json> expected = vitrun_answers(images);
  ASSERT_EQ(expected.size(), images.size());
  auto client = server.client();
  for (size_t i = 0; i < images.size(); ++i) {
    auto res = client->Post("/v1/classify?topk=3", read_file_bytes(images[i]), "image/png");
    ASSERT_TRUE(res) << images[i];
    ASSERT_EQ(res->status, 200) << res->body;
    const nlohmann::json answer = nlohmann::json::parse(res->body);
    ASSERT_EQ(answer["results"].size(), 1u);
    expect_same_topk(answer["results"][0]["topk"], expected[i]["topk"], images[i]);
  }
}

TEST(Serve, MultipartImagesAnswerInOrder) {
  ServerProcess server(vitcpp::test::digits_folder(), {});
  ASSERT_NE(server.pid(), 0);
  const std::vector<std::string> all = vitcpp::test::digit_images();
  const std::vector<std::string> images(all.begin(), all.begin() + 4);
  const std::vector<nlohmann::json> expected = vitrun_answers(images);
  httplib::MultipartFormDataItems items;
  for (const std::string& image : images) items.push_back({"image", read_file_bytes(image), image, "image/png"});
  auto res = server.client()->Post("/v1/classify?topk=3", items);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const nlohmann::json answer = nlohmann::json::parse(res->body);
  ASSERT_EQ(answer["results"].size(), images.size());
  for (size_t i = 0; i < images.size(); ++i) expect_same_topk(answer["results"][i]["topk"], expected[i]["topk"], images[i]);
}

// The embedding vitrun --embed writes for one image.
std::vector<float> vitrun_embedding(const std::string& image) {
  const std::string npy = scratch_dir("embed") + "/embedding.npy";
  std::string output;
  EXPECT_EQ(run_command(tool_path("vitrun") + " --model " + vitcpp::test::digits_folder() + " --embed " + npy + " " +
                            image, &output),
            0)
      << output;
  return vit::read_npy(npy).tensor().to_float();
}

TEST(Serve, EmbedMatchesVitrunAsJsonAndAsRawFloats) {
  ServerProcess server(vitcpp::test::digits_folder(), {});
  ASSERT_NE(server.pid(), 0);
  const std::string image = vitcpp::test::digit_images()[0];
  const std::string png = read_file_bytes(image);
  const std::vector<float> expected = vitrun_embedding(image);
  auto client = server.client();
  auto json_res = client->Post("/v1/embed", png, "image/png");
  ASSERT_TRUE(json_res);
  ASSERT_EQ(json_res->status, 200) << json_res->body;
  const nlohmann::json answer = nlohmann::json::parse(json_res->body);
  const int dim = answer["dim"];
  ASSERT_GT(dim, 0);
  ASSERT_EQ(answer["embeddings"].size(), 1u);
  ASSERT_EQ(answer["embeddings"][0].size(), static_cast<size_t>(dim));
  ASSERT_EQ(expected.size(), static_cast<size_t>(dim));
  for (int i = 0; i < dim; ++i) EXPECT_NEAR(answer["embeddings"][0][i].get<float>(), expected[i], 1e-5) << i;
  auto raw_res = client->Post("/v1/embed", httplib::Headers{{"Accept", "application/octet-stream"}}, png, "image/png");
  ASSERT_TRUE(raw_res);
  ASSERT_EQ(raw_res->status, 200);
  ASSERT_EQ(raw_res->body.size(), dim * sizeof(float));
  for (int i = 0; i < dim; ++i) {
    float value = 0;
    std::memcpy(&value, raw_res->body.data() + i * sizeof(float), sizeof value);
    EXPECT_EQ(value, answer["embeddings"][0][i].get<float>()) << i;
  }
}

}  // namespace
}  // namespace vit::test

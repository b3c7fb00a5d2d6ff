// Concurrent requests are stacked into shared forward passes and get the same answers as
// requests sent one at a time.
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/api_models.h"
#include "serve/server_process.h"

namespace vit::test {
namespace {

nlohmann::json classify(const ServerProcess& server, const std::string& png) {
  auto res = server.client()->Post("/v1/classify?topk=10", png, "image/png");
  if (!res || res->status != 200) return {{"failed", res ? res->body : "no answer"}};
  return nlohmann::json::parse(res->body)["results"][0]["topk"];
}

TEST(Serve, ConcurrentRequestsAreBatchedWithTheSameAnswers) {
  ServerProcess server(vitcpp::test::digits_folder(), {"--max-batch", "8", "--max-wait-ms", "50"});
  ASSERT_NE(server.pid(), 0);
  std::vector<std::string> pngs;
  for (const std::string& image : vitcpp::test::digit_images()) pngs.push_back(read_file_bytes(image));
  std::vector<nlohmann::json> alone;
  for (const std::string& png : pngs) alone.push_back(classify(server, png));

  constexpr int kClients = 8, kRounds = 3;
  std::vector<std::vector<nlohmann::json>> together(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      for (int r = 0; r < kRounds; ++r)
        for (size_t i = c; i < pngs.size(); i += kClients) together[c].push_back(classify(server, pngs[i]));
    });
  for (std::thread& t : clients) t.join();

  for (int c = 0; c < kClients; ++c) {
    size_t k = 0;
    for (int r = 0; r < kRounds; ++r)
      for (size_t i = c; i < pngs.size(); i += kClients, ++k) {
        ASSERT_FALSE(together[c][k].contains("failed")) << together[c][k];
        ASSERT_EQ(together[c][k].size(), alone[i].size());
        for (size_t j = 0; j < alone[i].size(); ++j) {
          EXPECT_EQ(together[c][k][j]["index"], alone[i][j]["index"]) << "image " << i;
          EXPECT_NEAR(together[c][k][j]["prob"].get<double>(), alone[i][j]["prob"].get<double>(), 1e-5);
        }
      }
  }
  auto metrics = server.client()->Get("/metrics");
  ASSERT_TRUE(metrics);
  const double single = metric_value(metrics->body, "vitserve_batch_size_bucket{le=\"1\"}");
  const double passes = metric_value(metrics->body, "vitserve_batch_size_count");
  const double images = metric_value(metrics->body, "vitserve_batch_size_sum");
  EXPECT_EQ(images, static_cast<double>(pngs.size() * (1 + kRounds)));
  EXPECT_LT(single, passes) << "no forward pass held more than one image:\n" << metrics->body;
}

}  // namespace
}  // namespace vit::test

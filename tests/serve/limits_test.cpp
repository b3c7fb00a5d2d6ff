// Bad requests get their own status and a JSON error, and the server keeps serving.
#include <thread>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/api_models.h"
#include "serve/server_process.h"

namespace vit::test {
namespace {

std::string error_of(const httplib::Result& res) {
  if (!res) return "(no answer)";
  return nlohmann::json::parse(res->body).value("error", "(no error field)");
}

void expect_still_serving(const ServerProcess& server, const std::string& png) {
  auto res = server.client()->Post("/v1/classify", png, "image/png");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST(Serve, BadBodiesAndQueriesGetTheirStatus) {
  ServerProcess server(vitcpp::test::digits_folder(), {"--max-body", "40000"});
  ASSERT_NE(server.pid(), 0);
  const std::string png = read_file_bytes(vitcpp::test::digit_images()[0]);
  ASSERT_LT(png.size(), 40000u);
  auto client = server.client();
  struct Case {
    std::string what, path, body, type;
    int status;
  };
  const std::vector<Case> cases = {
      {"oversized", "/v1/classify", std::string(40001, 'x'), "image/png", 413},
      {"empty", "/v1/classify", "", "image/png", 400},
      {"truncated", "/v1/classify", png.substr(0, png.size() / 2), "image/png", 422},
      {"not an image (bytes)", "/v1/classify", "hello, world", "application/octet-stream", 422},
      {"not an image (type)", "/v1/classify", "hello, world", "text/plain", 415},
      {"topk not a number", "/v1/classify?topk=five", png, "image/png", 400},
      {"topk zero", "/v1/classify?topk=0", png, "image/png", 400},
      {"topk above the classes", "/v1/classify?topk=11", png, "image/png", 400},
      {"topk with a tail", "/v1/classify?topk=3x", png, "image/png", 400},
      {"embed empty", "/v1/embed", "", "image/png", 400},
      {"embed oversized", "/v1/embed", std::string(50000, 'x'), "image/png", 413},
  };
  for (const Case& c : cases) {
    auto res = client->Post(c.path, c.body, c.type);
    ASSERT_TRUE(res) << c.what;
    EXPECT_EQ(res->status, c.status) << c.what << ": " << res->body;
    EXPECT_FALSE(error_of(res).empty()) << c.what;
    expect_still_serving(server, png);
  }
  const std::vector<std::pair<httplib::MultipartFormDataItems, int>> forms = {
      {{{"picture", png, "a.png", "image/png"}}, 400},            // no part named "image"
      {{{"image", "hello", "a.txt", "text/plain"}}, 415},          // a part that is not an image
      {{{"image", png, "a.png", "image/png"}, {"image", "", "b.png", "image/png"}}, 400},  // an empty part
      {{{"image", png, "a.png", "image/png"}, {"image", "xx", "b.png", "image/png"}}, 422},
  };
  for (const auto& [items, expected_status] : forms) {
    auto res = client->Post("/v1/classify", items);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, expected_status) << res->body;
    EXPECT_FALSE(error_of(res).empty());
    expect_still_serving(server, png);
  }
  auto missing = client->Get("/v1/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto metrics = client->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("vitserve_requests_total{endpoint=\"/v1/classify\",status=\"422\"} 3"), std::string::npos)
      << metrics->body;
}

TEST(Serve, SlowAnswersTimeOutWith504) {
  ServerProcess server(vitcpp::test::digits_folder(),
                       {"--max-batch", "64", "--max-wait-ms", "2000", "--timeout-ms", "200"});
  ASSERT_NE(server.pid(), 0);
  const std::string png = read_file_bytes(vitcpp::test::digit_images()[0]);
  auto res = server.client()->Post("/v1/classify", png, "image/png");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 504) << res->body;
  EXPECT_FALSE(error_of(res).empty());
}

TEST(Serve, FullQueueAnswers503WithRetryAfter) {
  ServerProcess server(vitcpp::test::digits_folder(), {"--max-batch", "64", "--max-wait-ms", "1500", "--queue", "1"});
  ASSERT_NE(server.pid(), 0);
  const std::string png = read_file_bytes(vitcpp::test::digit_images()[0]);
  int first_status = 0;
  std::thread first([&] {
    auto res = server.client()->Post("/v1/classify", png, "image/png");
    first_status = res ? res->status : -1;
  });
  // The first image waits in the queue (the batcher waits for more); then the queue is full.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  double depth = 0;
  while (depth < 1 && std::chrono::steady_clock::now() < deadline) {
    auto metrics = server.client()->Get("/metrics");
    depth = metrics ? metric_value(metrics->body, "vitserve_queue_depth") : 0;
  }
  auto second = server.client()->Post("/v1/classify", png, "image/png");
  first.join();  // before any assertion can leave the test
  ASSERT_EQ(depth, 1);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 503) << second->body;
  EXPECT_EQ(second->get_header_value("Retry-After"), "1");
  EXPECT_EQ(first_status, 200);
  httplib::MultipartFormDataItems two = {{"image", png, "a.png", "image/png"}, {"image", png, "b.png", "image/png"}};
  auto too_many = server.client()->Post("/v1/classify", two);
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->status, 413) << "more images than --queue can ever hold: " << too_many->body;
  expect_still_serving(server, png);
}

}  // namespace
}  // namespace vit::test

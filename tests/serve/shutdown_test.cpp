// SIGTERM stops accepting, answers every accepted request, and exits 0.
#include <thread>

#include <gtest/gtest.h>

#include "api/api_models.h"
#include "serve/server_process.h"

namespace vit::test {
namespace {

TEST(Serve, SigtermAnswersAcceptedRequestsThenExitsZero) {
  ServerProcess server(vitcpp::test::digits_folder(), {"--max-batch", "64", "--max-wait-ms", "1500"});
  ASSERT_NE(server.pid(), 0);
  const std::string png = read_file_bytes(vitcpp::test::digit_images()[0]);
  constexpr int kRequests = 8;
  std::vector<int> status(kRequests, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kRequests; ++i)
    clients.emplace_back([&, i] {
      auto res = server.client()->Post("/v1/classify", png, "image/png");
      status[i] = res ? res->status : -1;
    });
  // Every request is queued (the batcher is still waiting for a fuller batch) when SIGTERM comes.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  double depth = 0;
  while (depth < kRequests && std::chrono::steady_clock::now() < deadline) {
    auto metrics = server.client()->Get("/metrics");
    depth = metrics ? metric_value(metrics->body, "vitserve_queue_depth") : 0;
  }
  const int port = server.port();
  const int exit_code = server.terminate();
  for (std::thread& t : clients) t.join();  // before any assertion can leave the test
  ASSERT_EQ(depth, kRequests);
  EXPECT_EQ(exit_code, 0) << server.log();
  for (int i = 0; i < kRequests; ++i) EXPECT_EQ(status[i], 200) << "request " << i;
  httplib::Client late("127.0.0.1", port);
  EXPECT_FALSE(late.Get("/healthz")) << "still accepting after SIGTERM";
}

}  // namespace
}  // namespace vit::test

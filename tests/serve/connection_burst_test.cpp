// A burst of new connections is accepted at once: none waits for the kernel's one-second SYN
// retry, which a listen backlog of 5 (cpp-httplib's compiled-in value) would cause.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "api/api_models.h"
#include "serve/server_process.h"

namespace vit::test {
namespace {

TEST(Serve, BurstOfNewConnectionsIsAcceptedWithoutSynRetries) {
  ServerProcess server(vitcpp::test::digits_folder(), {});
  ASSERT_NE(server.pid(), 0);
  constexpr int kConnections = 64;
  std::atomic<int> ready{0};
  std::vector<double> seconds(kConnections, 0);
  std::vector<int> status(kConnections, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kConnections; ++i)
    clients.emplace_back([&, i] {
      httplib::Client client("127.0.0.1", server.port());
      ready.fetch_add(1);
      while (ready.load() < kConnections) std::this_thread::yield();
      const auto start = std::chrono::steady_clock::now();
      auto res = client.Get("/healthz");
      seconds[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      status[i] = res ? res->status : -1;
    });
  for (std::thread& t : clients) t.join();
  for (int i = 0; i < kConnections; ++i) EXPECT_EQ(status[i], 200) << i;
  EXPECT_LT(*std::max_element(seconds.begin(), seconds.end()), 0.9);
}

}  // namespace
}  // namespace vit::test

// vitserve_load: C concurrent clients POST one image to a vitserve on this machine (loopback
// only) until N requests are sent or T seconds pass; reports throughput, latency percentiles
// and errors.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "tools/command_line.h"

namespace {

constexpr const char* kUsage = R"(usage: vitserve_load --port N --image FILE [options]
  --port N          the vitserve on 127.0.0.1 to load
  --image FILE      the image every request sends
  --endpoint E      classify (default) or embed
  --clients C       concurrent clients, each with its own connection (default 8)
  --requests N      requests in all (default 1000)
  --seconds T       stop sending after T seconds (default 30)
  -h, --help        this text
)";

struct Tally {
  std::mutex mutex;
  std::vector<double> latencies_ms;  // of 200 answers
  std::map<int, int> errors;         // status (-1: no answer) -> count
};

struct LoadPlan {
  int port = 0, clients = 8, requests = 1000;
  double seconds = 30;
  std::string path, image;
};

void run_client(const LoadPlan& plan, std::atomic<int>& sent, std::chrono::steady_clock::time_point stop_at,
                Tally& tally) {
  httplib::Client client("127.0.0.1", plan.port);
  client.set_read_timeout(120, 0);
  client.set_keep_alive(true);  // one connection per client, as a real client pool would keep
  client.set_tcp_nodelay(true);
  while (sent.fetch_add(1) < plan.requests && std::chrono::steady_clock::now() < stop_at) {
    const auto start = std::chrono::steady_clock::now();
    auto res = client.Post(plan.path, plan.image, "application/octet-stream");
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard<std::mutex> lock(tally.mutex);
    if (res && res->status == 200)
      tally.latencies_ms.push_back(ms);
    else
      ++tally.errors[res ? res->status : -1];
  }
}

double percentile(std::vector<double> sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

void report(const LoadPlan& plan, Tally& tally, double wall_s) {
  std::sort(tally.latencies_ms.begin(), tally.latencies_ms.end());
  int errors = 0;
  for (const auto& entry : tally.errors) errors += entry.second;
  std::printf("clients %d  answered %zu  errors %d  in %.2f s\n", plan.clients, tally.latencies_ms.size(), errors,
              wall_s);
  std::printf("throughput %.1f req/s  latency p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              static_cast<double>(tally.latencies_ms.size()) / wall_s, percentile(tally.latencies_ms, 50),
              percentile(tally.latencies_ms, 99), tally.latencies_ms.empty() ? 0.0 : tally.latencies_ms.back());
  for (const auto& [status, n] : tally.errors)
    std::printf("  %d x %s\n", n, status < 0 ? "no answer" : ("HTTP " + std::to_string(status)).c_str());
}

LoadPlan read_plan(const vit::CommandLine& cl) {
  LoadPlan plan;
  if (!cl.has("--port") || !cl.has("--image")) vit::fail("", "--port and --image are required (see --help)");
  plan.port = cl.get_int("--port", 0);
  plan.clients = cl.get_int("--clients", plan.clients);
  plan.requests = cl.get_int("--requests", plan.requests);
  plan.seconds = cl.get_double("--seconds", plan.seconds);
  if (plan.port < 1 || plan.port > 65535) vit::fail("", "--port must be 1..65535");
  if (plan.clients < 1 || plan.clients > 1024) vit::fail("", "--clients must be 1..1024");
  if (plan.requests < 1 || !(plan.seconds > 0 && plan.seconds <= 3600))
    vit::fail("", "--requests must be at least 1 and --seconds in (0, 3600]");
  const std::string endpoint = cl.get("--endpoint", "classify");
  if (endpoint != "classify" && endpoint != "embed") vit::fail("", "--endpoint must be classify or embed");
  plan.path = "/v1/" + endpoint;
  std::ifstream in(cl.get("--image"), std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  plan.image = bytes.str();
  if (!in || plan.image.empty()) vit::fail(cl.get("--image"), "cannot read the image");
  return plan;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    vit::CommandLine cl(argc, argv, kUsage, {"--port", "--image", "--endpoint", "--clients", "--requests", "--seconds"},
                        {});
    if (cl.help()) {
      std::cout << kUsage;
      return 0;
    }
    const LoadPlan plan = read_plan(cl);
    Tally tally;
    std::atomic<int> sent{0};
    const auto start = std::chrono::steady_clock::now();
    const auto stop_at = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(plan.seconds));
    std::vector<std::thread> clients;
    for (int c = 0; c < plan.clients; ++c) clients.emplace_back([&] { run_client(plan, sent, stop_at, tally); });
    for (std::thread& t : clients) t.join();
    report(plan, tally, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return tally.errors.empty() ? 0 : 3;
  } catch (const std::exception& e) {
    std::cerr << "vitserve_load: " << e.what() << "\n";
    return 2;
  }
}

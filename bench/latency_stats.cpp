#include "bench/latency_stats.h"

#include <algorithm>
#include <chrono>

namespace vit {

LatencyStats summarize(std::vector<double> samples) {
  LatencyStats s;
  s.count = static_cast<int>(samples.size());
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  s.median_ms = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  s.min_ms = samples.front();
  s.max_ms = samples.back();
  return s;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<double> time_runs(const std::function<void()>& work, int warmup, int iters) {
  for (int i = 0; i < warmup; ++i) work();
  std::vector<double> samples;
  samples.reserve(iters);
  for (int i = 0; i < iters; ++i) {
    const double start = now_ms();
    work();
    samples.push_back(now_ms() - start);
  }
  return samples;
}

}  // namespace vit

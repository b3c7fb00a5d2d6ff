// Repeated timing of a callable and the summary vitbench reports.
#pragma once
#include <functional>
#include <vector>

namespace vit {

struct LatencyStats {
  double median_ms = 0, min_ms = 0, max_ms = 0;
  int count = 0;
};

LatencyStats summarize(std::vector<double> samples_ms);

// Runs `work` warmup times untimed, then iters times, returning each timed run in ms.
std::vector<double> time_runs(const std::function<void()>& work, int warmup, int iters);

double now_ms();  // a monotonic clock

}  // namespace vit

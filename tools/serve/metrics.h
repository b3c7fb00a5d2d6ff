// The server's counters, written as Prometheus text (exposition format 0.0.4).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace vit::serve {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // "<name>_bucket{<labels>le=...} n" lines, then _sum and _count; labels: `k="v",` or empty.
  std::string text(const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bound, not cumulative; the last one is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics(double model_load_seconds, int max_batch, std::function<size_t()> queue_depth);
  void count_request(const std::string& endpoint, int status, double seconds);
  void count_batch(int images);
  std::string text() const;

 private:
  const double model_load_seconds_;
  const std::function<size_t()> queue_depth_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram batch_sizes_;
};

}  // namespace vit::serve

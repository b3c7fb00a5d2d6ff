#include "serve/metrics.h"

#include <sstream>

namespace vit::serve {

namespace {

const std::vector<double> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                            0.25,  0.5,    1,     2.5,  5,     10};

std::vector<double> batch_bounds(int max_batch) {
  std::vector<double> bounds;
  for (int b = 1; b < max_batch; b *= 2) bounds.push_back(b);
  bounds.push_back(max_batch);
  return bounds;
}

std::string number(double value) {
  std::ostringstream out;
  out.precision(10);
  out << value;
  return out.str();
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

std::string Histogram::text(const std::string& name, const std::string& labels) const {
  std::ostringstream out;
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    out << name << "_bucket{" << labels << "le=\"" << le << "\"} " << cumulative << "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels.substr(0, labels.size() - 1) + "}";
  out << name << "_sum" << braces << " " << number(sum_) << "\n";
  out << name << "_count" << braces << " " << count_ << "\n";
  return out.str();
}

Metrics::Metrics(double model_load_seconds, int max_batch, std::function<size_t()> queue_depth)
    : model_load_seconds_(model_load_seconds), queue_depth_(std::move(queue_depth)), batch_sizes_(batch_bounds(max_batch)) {}

void Metrics::count_request(const std::string& endpoint, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{endpoint, status}];
  latency_.try_emplace(endpoint, kLatencyBounds).first->second.observe(seconds);
}

void Metrics::count_batch(int images) {
  std::lock_guard<std::mutex> lock(mutex_);
  batch_sizes_.observe(images);
}

std::string Metrics::text() const {
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mutex_);
  out << "# HELP vitserve_requests_total Requests answered, by endpoint and HTTP status.\n"
      << "# TYPE vitserve_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out << "vitserve_requests_total{endpoint=\"" << key.first << "\",status=\"" << key.second << "\"} " << n << "\n";
  out << "# HELP vitserve_request_duration_seconds Time from a request's arrival to its answer.\n"
      << "# TYPE vitserve_request_duration_seconds histogram\n";
  for (const auto& [endpoint, histogram] : latency_)
    out << histogram.text("vitserve_request_duration_seconds", "endpoint=\"" + endpoint + "\",");
  out << "# HELP vitserve_batch_size Images per forward pass.\n# TYPE vitserve_batch_size histogram\n"
      << batch_sizes_.text("vitserve_batch_size", "");
  out << "# HELP vitserve_queue_depth Images waiting for the batcher.\n# TYPE vitserve_queue_depth gauge\n"
      << "vitserve_queue_depth " << queue_depth_() << "\n";
  out << "# HELP vitserve_model_load_seconds Time taken to load the model.\n"
      << "# TYPE vitserve_model_load_seconds gauge\nvitserve_model_load_seconds " << number(model_load_seconds_)
      << "\n";
  return out.str();
}

}  // namespace vit::serve

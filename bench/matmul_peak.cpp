#include "bench/matmul_peak.h"

#include <algorithm>
#include <sstream>

#include "bench/latency_stats.h"
#include "bench/random_weights.h"
#include "formats/error.h"

namespace vit {

std::vector<GemmRate> measure_gemm_rates(const std::vector<LinearShape>& shapes, double min_seconds,
                                         Precision precision) {
  MatmulRunner runner;
  std::vector<GemmRate> rates;
  for (const LinearShape& s : shapes) {
    const std::vector<float> x = random_pixels(static_cast<size_t>(s.rows * s.inputs), 1);
    const std::vector<float> w = random_pixels(static_cast<size_t>(s.outputs * s.inputs), 2);
    const std::vector<float> b = random_pixels(static_cast<size_t>(s.outputs), 3);
    const PackedWeights packed = runner.pack(w.data(), s.inputs, s.outputs, precision);  // as the model does
    std::vector<float> y(static_cast<size_t>(s.rows * s.outputs));
    auto run = [&] { runner.linear(s, x.data(), packed, b.data(), y.data(), Epilogue::None); };
    run();  // creates the primitive and touches the buffers
    std::vector<double> samples;
    const double start = now_ms();
    while (samples.size() < 3 || now_ms() - start < min_seconds * 1000.0) {
      const double t = now_ms();
      run();
      samples.push_back(now_ms() - t);
    }
    const LatencyStats stats = summarize(samples);
    const double flops = 2.0 * s.rows * s.inputs * s.outputs;
    rates.push_back({s, stats.count, flops / (stats.min_ms * 1e6), flops / (stats.median_ms * 1e6)});
  }
  return rates;
}

GemmRate measure_in_model_fc1(double min_seconds, Precision precision, int copies) {
  const LinearShape s{197, 768, 3072};
  MatmulRunner runner;
  const std::vector<float> x = random_pixels(static_cast<size_t>(s.rows * s.inputs), 1);
  const std::vector<float> b = random_pixels(static_cast<size_t>(s.outputs), 3);
  std::vector<PackedWeights> weights;
  for (int i = 0; i < copies; ++i) {
    const std::vector<float> w = random_pixels(static_cast<size_t>(s.outputs * s.inputs), 10 + i);
    weights.push_back(runner.pack(w.data(), s.inputs, s.outputs, precision));
  }
  std::vector<float> y(static_cast<size_t>(s.rows * s.outputs));
  size_t next = 0;
  auto run = [&] {
    runner.linear(s, x.data(), weights[next], b.data(), y.data(), Epilogue::GeluErf);
    next = (next + 1) % weights.size();
  };
  for (int i = 0; i < copies; ++i) run();  // primitive created, every copy touched once
  std::vector<double> samples;
  const double start = now_ms();
  while (samples.size() < 3 * static_cast<size_t>(copies) || now_ms() - start < min_seconds * 1000.0) {
    const double t = now_ms();
    run();
    samples.push_back(now_ms() - t);
  }
  const LatencyStats stats = summarize(samples);
  const double flops = 2.0 * s.rows * s.inputs * s.outputs;
  return {s, stats.count, flops / (stats.min_ms * 1e6), flops / (stats.median_ms * 1e6)};
}

std::vector<LinearShape> default_peak_shapes() {
  return {{2048, 2048, 2048}, {197, 768, 2304}, {197, 768, 3072}, {197, 3072, 768}, {1576, 768, 3072}};
}

LinearShape parse_shape(const std::string& text) {
  LinearShape s{0, 0, 0};
  char x1 = 0, x2 = 0;
  std::istringstream in(text);
  if (!(in >> s.rows >> x1 >> s.inputs >> x2 >> s.outputs) || x1 != 'x' || x2 != 'x' || !in.eof() ||
      s.rows <= 0 || s.inputs <= 0 || s.outputs <= 0)
    fail("--shape", "expected MxKxN with positive integers, got \"" + text + "\"");
  return s;
}

double peak_gflops(const std::vector<GemmRate>& rates) {
  double best = 0;
  for (const GemmRate& r : rates) best = std::max(best, r.best_gflops);
  return best;
}

}  // namespace vit

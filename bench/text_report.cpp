#include "bench/text_report.h"

#include <cstdio>
#include <string>

namespace vit {

namespace {

using nlohmann::json;

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string subject(const json& r) {
  std::string s = r.contains("model") ? r["model"].get<std::string>()
                                      : r.value("arch", std::string("")) + " (random weights)";
  if (r.contains("image_size"))
    s += ", " + std::to_string(r["image_size"][0].get<int>()) + "x" + std::to_string(r["image_size"][1].get<int>());
  if (r.contains("batch")) s += ", batch " + std::to_string(r["batch"].get<int>());
  return s + ", " + std::to_string(r["threads"].get<int>()) + " threads, " + r["dtype"].get<std::string>();
}

// "N% of the cores' float32 FMA rate R GFLOP/s (ISA)"
std::string fma_fraction(const json& r) {
  const json& f = r["fma"];
  return fixed(100.0 * r["fraction_of_fma"].get<double>(), 1) + "% of the cores' float32 FMA rate " +
         fixed(f["gflops"], 1) + " GFLOP/s (" + f["isa"].get<std::string>() + ")";
}

void latency(const json& r, std::ostream& out) {
  out << subject(r) << "\n"
      << "  load        " << fixed(r["load_ms"], 1) << " ms\n"
      << "  latency     median " << fixed(r["median_ms"], 2) << " ms  (min " << fixed(r["min_ms"], 2) << ", max "
      << fixed(r["max_ms"], 2) << ", " << r["iters"].get<int>() << " runs after " << r["warmup"].get<int>()
      << " warmup)\n"
      << "  throughput  " << fixed(r["images_per_s"], 2) << " images/s\n"
      << "  compute     " << fixed(r["gflop_per_forward"], 2) << " GFLOP per forward, " << fixed(r["gflops"], 1)
      << " GFLOP/s";
  if (r.contains("peak_gflops"))
    out << " = " << fixed(100.0 * r["fraction_of_peak"].get<double>(), 1) << "% of the measured GEMM peak "
        << fixed(r["peak_gflops"], 1) << " GFLOP/s";
  if (r.contains("fma")) out << ", " << fma_fraction(r);
  out << "\n  memory      weights " << fixed(r["weights_mib"], 1) << " MiB + activations "
      << fixed(r["activations_mib"], 1) << " MiB; peak RSS " << fixed(r["peak_rss_mib"], 1) << " MiB\n";
}

void peak(const json& r, std::ostream& out) {
  out << r["engine"].get<std::string>() << ", " << r["threads"].get<int>() << " threads\n";
  for (const json& s : r["shapes"])
    out << "  " << s["m"].get<int64_t>() << "x" << s["k"].get<int64_t>() << "x" << s["n"].get<int64_t>()
        << " (MxKxN)  best " << fixed(s["best_gflops"], 1) << " GFLOP/s, median " << fixed(s["median_gflops"], 1)
        << " (" << s["runs"].get<int>() << " runs)\n";
  out << "  peak " << fixed(r["peak_gflops"], 1) << " GFLOP/s";
  if (r.contains("fma")) out << " = " << fma_fraction(r);
  out << "\n";
  if (r.contains("in_model_fc1"))
    out << "  197x768x3072 as ViT-B/16's fc1 runs in the model (exact-GELU epilogue, weights cold from memory): "
        << "median " << fixed(r["in_model_fc1"]["median_gflops"], 1) << " GFLOP/s\n";
}

void profile(const json& r, std::ostream& out) {
  const double forward = r["forward_ms"];
  out << subject(r) << "\n  " << r["method"].get<std::string>() << "\n  forward() mean " << fixed(forward, 2)
      << " ms\n";
  double accounted = 0;
  for (const auto& [op, value] : r["ms"].items()) {
    const double ms = value;
    accounted += ms;
    out << "  " << op << std::string(16 - std::min<size_t>(op.size(), 15), ' ') << fixed(ms, 2) << " ms  "
        << fixed(100.0 * ms / forward, 1) << "%\n";
  }
  out << "  (between ops     " << fixed(forward - accounted, 2) << " ms)\n";
}

void cold(const json& r, std::ostream& out) {
  out << subject(r) << ": process start to first logits\n";
  for (const json& c : r["runs"])
    out << "  " << fixed(c["start_to_report_ms"], 1) << " ms  (load " << fixed(c["load_ms"], 1)
        << " ms, first forward " << fixed(c["first_forward_ms"], 1) << " ms, peak RSS "
        << fixed(c["peak_rss_mb"], 1) << " MiB; " << c["packed_weights"].get<std::string>() << ")\n";
  out << "  " << r["median_over"].get<std::string>() << ": median " << fixed(r["median_ms"], 1) << " ms, min " << fixed(r["min_ms"], 1) << ", max "
      << fixed(r["max_ms"], 1) << "; peak RSS " << fixed(r["peak_rss_mb"], 1) << " MiB for "
      << fixed(r["weights_mib"], 1) << " MiB of weights\n  (" << r["note"].get<std::string>() << ")\n"
      << "  first touch of fresh memory just before: " << fixed(r["first_touch_ms_per_100_mib"], 1)
      << " ms per 100 MiB; at that rate packed float32 weights of this size cost "
      << fixed(r["first_touch_ms_per_100_mib"].get<double>() * r["weights_mib"].get<double>() / 100, 0)
      << " ms to fault in\n";
}

}  // namespace

void print_text_report(const json& r, std::ostream& out) {
  const std::string mode = r["mode"];
  if (mode == "latency") latency(r, out);
  else if (mode == "peak") peak(r, out);
  else if (mode == "fma")
    out << "float32 vector FMA rate (" << r["isa"].get<std::string>() << "), " << r["threads"].get<int>()
        << " threads: " << fixed(r["gflops"], 1) << " GFLOP/s\n";
  else if (mode == "profile") profile(r, out);
  else if (mode == "cold") cold(r, out);
  else out << r.dump(2) << "\n";
}

}  // namespace vit

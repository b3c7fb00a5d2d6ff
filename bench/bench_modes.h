// vitbench's measurements, each returning one JSON object (text rendering: text_report.h).
#pragma once
#include <array>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/ops/matmul.h"
#include "engine/model/vit_model.h"

namespace vit {

struct BenchOptions {
  std::string model_dir;  // --model, or empty with arch set
  std::string arch;       // --arch
  // --image-size: --arch builds the model for it; a --model folder's position embeddings are
  // resampled to it by the engine.
  std::optional<std::array<int, 2>> image_size;
  unsigned seed = 0;
  int batch = 1;
  int threads = 0;
  Precision precision = Precision::F32;  // --dtype
  int warmup = 3;
  int iters = 20;
  bool measure_peak = true;           // for the fraction-of-peak figure
  double peak_seconds = 0.3;          // per shape
  std::vector<LinearShape> shapes;    // --peak shapes
  int cold_runs = 3;
  std::string cache_dir;  // --cache: packed weights kept between runs (engine/model/packed_cache.h)
  bool no_cache = false;  // --no-cache: --cold packs in every run
  std::string input_path;   // --input: float32 [N, C, H, W] pixels instead of random ones
  std::string logits_path;  // --logits: where the last run's logits go (.npy)
};

// The model the options name, and how long it took to load (or generate).
VitModel open_model(const BenchOptions& options, double* load_ms);

// Latency of model.forward() on seeded random pixels (or --input's): median/min/max,
// images/s, GFLOP/s; writes the logits to --logits when asked.
nlohmann::json run_latency(const VitModel& model, double load_ms, const BenchOptions& options);
// The fp32 GEMM rates of MatmulRunner.
nlohmann::json run_peak(const BenchOptions& options);
// The cores' float32 vector FMA rate (fma_peak.h).
nlohmann::json run_fma(const BenchOptions& options);
// The forward pass timed by op kind (op_profile.h).
nlohmann::json run_profile(const VitModel& model, const BenchOptions& options);
// Process start to first logits of a model folder, in child processes.
nlohmann::json run_cold(const BenchOptions& options);

}  // namespace vit

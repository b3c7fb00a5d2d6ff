#include "bench/bench_modes.h"

#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "bench/arch_presets.h"
#include "bench/cold_start.h"
#include "bench/forward_flops.h"
#include "bench/latency_stats.h"
#include "bench/fma_peak.h"
#include "bench/matmul_peak.h"
#include "bench/op_profile.h"
#include "bench/random_weights.h"
#include "engine/model/model_folder.h"
#include "engine/ops/threading.h"
#include "formats/error.h"
#include "formats/npy.h"

namespace vit {

namespace {

using nlohmann::json;

constexpr const char* kMapped = "mapped from the cache";

json common_fields(const std::string& mode, const BenchOptions& o) {
  json j;
  j["tool"] = "vitbench";
  j["mode"] = mode;
  if (!o.model_dir.empty()) j["model"] = o.model_dir;
  if (!o.arch.empty()) j["arch"] = o.arch;
  j["threads"] = thread_count();
  j["dtype"] = precision_name(o.precision);
  return j;
}

struct Pixels {
  std::vector<float> values;
  int batch, height, width;
};

Pixels pixels_for(const VitConfig& c, const BenchOptions& o) {
  if (o.input_path.empty()) {
    const int height = o.image_size ? (*o.image_size)[0] : c.image_height;
    const int width = o.image_size ? (*o.image_size)[1] : c.image_width;
    return {random_pixels(static_cast<size_t>(o.batch) * c.num_channels * height * width, o.seed + 1), o.batch, height,
            width};
  }
  const NpyArray input = read_npy(o.input_path);
  if (input.shape.size() != 4 || input.shape[1] != c.num_channels)
    fail(o.input_path, "expected pixels of shape [N, " + std::to_string(c.num_channels) + ", H, W], found " +
                           input.tensor().shape_string());
  return {input.tensor().to_float(), static_cast<int>(input.shape[0]), static_cast<int>(input.shape[2]),
          static_cast<int>(input.shape[3])};
}

// --arch's model, built for --image-size when given, with seeded random weights.
VitModel random_model(const BenchOptions& o) {
  const VitConfig config = arch_config(o.arch, o.image_size);
  return VitModel(config, random_weights(config, o.seed), o.precision);
}

// A folder under $TMPDIR (or /tmp), removed with its contents when this goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
    if (!::mkdtemp(pattern.data())) fail(pattern, "cannot create a temporary folder");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr double kMiB = 1024.0 * 1024.0;

// This process's largest resident set so far (Linux reports kilobytes).
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

// The timed output, [batch, width]: the logits, or for a model without a head its embedding.
void write_timed_output(const std::string& path, const VitConfig& c, unsigned output, const ForwardResult& r) {
  const std::vector<float>& values = output == kLogits          ? r.logits
                                     : output == kImageEmbeds   ? r.image_embeds
                                     : output == kPoolerOutput  ? r.pooler_output
                                                                : r.pre_logits;
  write_npy(path, DType::F32, {r.batch, output_width(c, static_cast<OutputKind>(output))}, values.data());
}

// The cores' float32 FMA rate, and `gflops` (a forward pass, or the GEMM peak) as a fraction
// of it: no float32 engine can pass 1 on this machine. The rate is the faster of `before` (taken
// before `gflops` was measured) and one taken now, so that a host whose speed swings within
// seconds does not show a fraction above 1 from a slow moment.
void add_fma_rate(json& j, double gflops, const FmaRate& before, double seconds) {
  FmaRate fma = measure_fma_rate(seconds);
  if (before.gflops > fma.gflops) fma = before;
  if (fma.gflops <= 0) return;
  j["fma"] = {{"isa", fma.isa}, {"threads", fma.threads}, {"gflops", fma.gflops}};
  j["fraction_of_fma"] = gflops / fma.gflops;
}

}  // namespace

VitModel open_model(const BenchOptions& o, double* load_ms) {
  const double start = now_ms();
  VitModel model = o.model_dir.empty() ? random_model(o) : load_model(o.model_dir, o.precision, o.cache_dir);
  *load_ms = now_ms() - start;
  return model;
}

json run_latency(const VitModel& model, double load_ms, const BenchOptions& o) {
  const VitConfig& c = model.config();
  const Pixels pixels = pixels_for(c, o);
  const unsigned output = timed_outputs(c);
  const bool fma_fraction = o.measure_peak && o.precision == Precision::F32;
  const FmaRate fma_before = fma_fraction ? measure_fma_rate(o.peak_seconds) : FmaRate{};
  ForwardResult last;
  const LatencyStats stats = summarize(time_runs(
      [&] { last = model.forward(pixels.values.data(), pixels.batch, pixels.height, pixels.width, output); },
      o.warmup, o.iters));
  if (!o.logits_path.empty()) write_timed_output(o.logits_path, c, output, last);
  const double flops = forward_flops(c, pixels.batch, pixels.height, pixels.width);
  json j = common_fields("latency", o);
  j["batch"] = pixels.batch;
  j["image_size"] = {pixels.height, pixels.width};
  j["tokens"] = c.prefix_tokens() + (pixels.height / c.patch_size) * (pixels.width / c.patch_size);
  j["warmup"] = o.warmup;
  j["iters"] = o.iters;
  j["load_ms"] = load_ms;
  if (!o.cache_dir.empty()) j["packed_weights"] = model.packed_weights_from_cache() ? kMapped : "packed";
  j["median_ms"] = stats.median_ms;
  j["min_ms"] = stats.min_ms;
  j["max_ms"] = stats.max_ms;
  j["images_per_s"] = pixels.batch * 1000.0 / stats.median_ms;
  j["gflop_per_forward"] = flops / 1e9;
  j["weights_mib"] = model.weight_bytes() / kMiB;
  j["activations_mib"] = model.activation_bytes(pixels.batch, pixels.height, pixels.width) / kMiB;
  j["peak_rss_mib"] = peak_rss_mib();
  j["gflops"] = flops / (stats.median_ms * 1e6);
  if (o.measure_peak) {
    // The best of a large square GEMM and this model's own fc1 shape, in the model's GEMM
    // precision, so the fraction is not flattered by a shape oneDNN happens to run slowly.
    const int64_t tokens = static_cast<int64_t>(pixels.batch) * j["tokens"].get<int64_t>();
    const double peak = peak_gflops(
        measure_gemm_rates({{2048, 2048, 2048}, {tokens, c.hidden_size, c.intermediate_size}}, o.peak_seconds,
                           o.precision));
    j["peak_gflops"] = peak;
    j["fraction_of_peak"] = flops / (stats.median_ms * 1e6) / peak;
    if (fma_fraction) add_fma_rate(j, flops / (stats.median_ms * 1e6), fma_before, o.peak_seconds);
  }
  return j;
}

json run_peak(const BenchOptions& o) {
  json j = common_fields("peak", o);
  j["engine"] = std::string("MatmulRunner (oneDNN matmul, ") + precision_name(o.precision) + ")";
  json shapes = json::array();
  const FmaRate fma_before = measure_fma_rate(o.peak_seconds);
  const std::vector<GemmRate> rates =
      measure_gemm_rates(o.shapes.empty() ? default_peak_shapes() : o.shapes, o.peak_seconds, o.precision);
  for (const GemmRate& r : rates)
    shapes.push_back({{"m", r.shape.rows}, {"k", r.shape.inputs}, {"n", r.shape.outputs}, {"runs", r.runs},
                      {"best_gflops", r.best_gflops}, {"median_gflops", r.median_gflops}});
  j["shapes"] = shapes;
  j["peak_gflops"] = peak_gflops(rates);
  add_fma_rate(j, peak_gflops(rates), fma_before, o.peak_seconds);
  if (o.shapes.empty()) {
    const GemmRate fc1 = measure_in_model_fc1(o.peak_seconds, o.precision);
    j["in_model_fc1"] = {{"m", fc1.shape.rows}, {"k", fc1.shape.inputs}, {"n", fc1.shape.outputs}, {"runs", fc1.runs},
                         {"best_gflops", fc1.best_gflops}, {"median_gflops", fc1.median_gflops}};
  }
  return j;
}

json run_fma(const BenchOptions& o) {
  json j = common_fields("fma", o);
  j.erase("dtype");  // always float32
  const FmaRate fma = measure_fma_rate(o.peak_seconds);
  j["isa"] = fma.isa;
  j["gflops"] = fma.gflops;
  return j;
}

json run_profile(const VitModel& model, const BenchOptions& o) {
  const VitConfig& c = model.config();
  if (!o.input_path.empty()) fail("--profile", "runs on random pixels of the model's input size; drop --input");
  const Pixels pixels = pixels_for(c, o);
  const OpProfile p =
      profile_forward(model, pixels.values.data(), o.batch, pixels.height, pixels.width, o.warmup, o.iters);
  json j = common_fields("profile", o);
  j["method"] = "timed inside VitModel::forward; fused GELU/residual epilogues count with their GEMM";
  j["batch"] = o.batch;
  j["image_size"] = {pixels.height, pixels.width};
  j["iters"] = o.iters;
  j["forward_ms"] = p.forward_ms;
  j["ms"] = p.ms;
  return j;
}

json run_cold(const BenchOptions& o) {
  if (o.model_dir.empty()) fail("--cold", "needs --model DIR (start-up is dominated by reading the folder)");
  std::vector<std::string> args = {self_executable(), "--model", o.model_dir, "--batch",
                                   std::to_string(o.batch), "--threads", std::to_string(thread_count()),
                                   "--dtype", precision_name(o.precision), "--iters", "1", "--warmup", "0",
                                   "--no-peak", "--json"};
  // Without --cache, a fresh cache folder: the first run packs and writes it, later runs map it.
  std::unique_ptr<TempDir> fresh_cache;
  std::string cache_dir = o.cache_dir;
  if (cache_dir.empty() && !o.no_cache) {
    fresh_cache = std::make_unique<TempDir>("vitbench-cache");
    cache_dir = fresh_cache->path();
  }
  if (!cache_dir.empty()) args.insert(args.end(), {"--cache", cache_dir});
  if (o.image_size)
    args.insert(args.end(),
                {"--image-size", std::to_string((*o.image_size)[0]) + "x" + std::to_string((*o.image_size)[1])});
  // Packed weights are fresh memory, and its first touch can dominate loading on a virtual
  // machine (the kernel zeroes each new page; the host may have to back it first).
  const double touch_ms = first_touch_ms(256);
  std::vector<double> wall, wall_mapped;
  double rss = 0;
  json children = json::array();
  for (int i = 0; i < o.cold_runs; ++i) {
    const ColdRun run = run_cold_child(args);
    json child;
    try {
      child = json::parse(run.child_report);
    } catch (const json::exception&) {
      fail("--cold", "the child's report is not JSON: " + run.child_report);
    }
    wall.push_back(run.report_ms);
    if (child.value("packed_weights", "") == kMapped) wall_mapped.push_back(run.report_ms);
    rss = std::max(rss, run.peak_rss_mb);
    children.push_back({{"start_to_report_ms", run.report_ms}, {"load_ms", child["load_ms"]},
                        {"first_forward_ms", child["median_ms"]}, {"peak_rss_mb", run.peak_rss_mb},
                        {"packed_weights", child.value("packed_weights", "packed (no cache)")}});
  }
  // With a cache, the figure is for the runs that mapped it (the usual start); the others are listed.
  const LatencyStats stats = summarize(wall_mapped.empty() ? wall : wall_mapped);
  json j = common_fields("cold", o);
  j["median_over"] = wall_mapped.empty() ? "all runs" : "runs that mapped the packed cache";
  j["batch"] = o.batch;
  j["runs"] = children;
  j["median_ms"] = stats.median_ms;
  j["min_ms"] = stats.min_ms;
  j["max_ms"] = stats.max_ms;
  j["peak_rss_mb"] = rss;
  j["note"] = "fork to the child's JSON report; file cache as the OS has it (not dropped)";
  j["weights_mib"] = static_cast<double>(std::filesystem::file_size(o.model_dir + "/" + kWeightsFile)) / (1 << 20);
  j["first_touch_ms_per_100_mib"] = touch_ms / 2.56;
  return j;
}

}  // namespace vit

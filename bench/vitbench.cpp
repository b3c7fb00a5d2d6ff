// vitbench: latency, GEMM peak, by-op profile and cold start of the engine's forward pass.
#include <iostream>

#include "bench/arch_presets.h"
#include "bench/bench_modes.h"
#include "bench/matmul_peak.h"
#include "bench/text_report.h"
#include "engine/ops/threading.h"
#include "formats/error.h"
#include "tools/command_line.h"

namespace {

constexpr const char* kUsage = R"(usage: vitbench (--model DIR | --arch NAME) [--image-size N|HxW] [--batch N]
                [--threads T] [--dtype f32|bf16|int8] [--warmup W] [--iters I] [--seed S] [--no-peak]
                [--input PIXELS.npy [--logits OUT.npy]]
                [--profile | --cold [--cold-runs R] [--no-cache]] [--cache DIR] [--json]
       vitbench --peak [--threads T] [--shape MxKxN]... [--seconds S] [--json]
       vitbench --fma [--threads T] [--seconds S] [--json]

Times model.forward() on seeded random pixels and prints median/min/max latency, images/s and
the achieved GFLOP/s (2 x the multiply-accumulates of every matrix product), also as a
fraction of the best GEMM rate measured right after on 2048^3 and the model's fc1 shape
(skip with --no-peak).

  --model DIR     a model folder (config.json + model.safetensors)
  --arch NAME     a timm architecture from models/timm_architectures.json that the engine runs
                  (vit_base_patch16_224, vit_large_patch16_384, vit_small_patch14_dinov2,
                  vit_base_patch16_clip_224, vit_base_patch16_siglip_224,
                  deit_base_distilled_patch16_224, ...: its shape, tokens, norms, pooling and head
                  as timm builds it, at its native input size), or a config.json (bench/configs/:
                  transformers ViT, DeiT, DINOv2, CLIP, SigLIP shapes); seeded random weights.
                  Architectures the importer refuses (hybrids, SwiGLU MLPs, ...) say why
  --image-size    time N x N (or H x W) pixels instead of the native size: --arch builds the
                  model for that size (timm's img_size=), a --model folder's position
                  embeddings are resampled to it by the engine; a multiple of the patch size
  --input FILE    time on these float32 [N, C, H, W] pixels (N replaces --batch)
  --logits FILE   write the last run's logits [N, classes] as .npy (checks against peers); for a
                  model without a head, the output it times (image_embeds, pooler_output or
                  pre_logits)
  --dtype         f32, bf16 (bfloat16 GEMM inputs, float32 accumulation) or int8 (int8 weights per
                  output channel and activations per call, int32 accumulation; patch embedding
                  and classifier stay float32)
  --peak          GEMM rates in --dtype's precision through the engine's MatmulRunner (oneDNN);
                  default shapes 2048^3 and ViT-B/16's GEMMs; each shape runs for --seconds
                  (default 0.3)
  --fma           the cores' float32 vector FMA rate (AVX-512, else AVX2): no float32 engine
                  passes it; --peak and the float32 latency report give their fraction of it too
  --profile       time split by op kind, measured inside the engine's forward pass
  --cold          fork/exec `vitbench --model DIR --iters 1 --warmup 0 --json` and time from
                  the fork to its report, with its peak RSS; --cold-runs times (default 3). The
                  children share a fresh packed-weights cache (the first packs and writes it, the
                  rest map it; the median is theirs) unless --cache DIR or --no-cache
  --cache DIR     keep packed weights in DIR between runs (see the README); --model only
  --no-cache      --cold: pack in every run
  --json          print one JSON object instead of text
  -h, --help      this text
Defaults: --batch 1 --threads 0 (all cores) --warmup 3 --iters 20 --seed 0.
)";

vit::BenchOptions read_options(const vit::CommandLine& cl) {
  vit::BenchOptions o;
  o.model_dir = cl.get("--model");
  o.arch = cl.get("--arch");
  if (cl.has("--image-size")) o.image_size = vit::parse_image_size(cl.get("--image-size"));
  o.seed = static_cast<unsigned>(cl.get_int("--seed", 0));
  o.batch = cl.get_int("--batch", 1);
  o.threads = cl.get_int("--threads", 0);
  o.warmup = cl.get_int("--warmup", 3);
  o.iters = cl.get_int("--iters", 20);
  o.measure_peak = !cl.has("--no-peak");
  o.peak_seconds = cl.get_double("--seconds", 0.3);
  o.cold_runs = cl.get_int("--cold-runs", 3);
  o.cache_dir = cl.get("--cache");
  o.no_cache = cl.has("--no-cache");
  if (o.no_cache && !o.cache_dir.empty()) vit::fail("", "--cache and --no-cache contradict each other");
  o.input_path = cl.get("--input");
  o.logits_path = cl.get("--logits");
  for (const std::string& s : cl.all("--shape")) o.shapes.push_back(vit::parse_shape(s));
  if (o.batch <= 0 || o.threads < 0 || o.warmup < 0 || o.iters <= 0 || o.cold_runs <= 0 || o.peak_seconds < 0)
    vit::fail("", "--batch, --iters and --cold-runs must be positive; --threads, --warmup, --seconds not negative");
  o.precision = vit::precision_from_name(cl.get("--dtype", "f32"), "--dtype");
  if (o.image_size && !o.input_path.empty()) vit::fail("", "--input sets the image size; drop --image-size");
  const int modes = cl.has("--peak") + cl.has("--fma") + cl.has("--profile") + cl.has("--cold");
  if (modes > 1) vit::fail("", "--peak, --fma, --profile and --cold are separate runs; pick one");
  if (!cl.has("--peak") && !cl.has("--fma") && o.model_dir.empty() == o.arch.empty())
    vit::fail("", "give exactly one of --model DIR and --arch NAME (see --help)");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  vit::exec_with_engine_environment(argv);
  try {
    const vit::CommandLine cl(argc, argv, kUsage,
                              {"--model", "--arch", "--image-size", "--batch", "--threads", "--dtype", "--warmup",
                               "--iters", "--seed", "--shape", "--seconds", "--cold-runs", "--input", "--logits",
                               "--cache"},
                              {"--peak", "--fma", "--profile", "--cold", "--json", "--no-peak", "--no-cache"});
    if (cl.help()) {
      std::cout << kUsage;
      return 0;
    }
    if (!cl.positional().empty()) vit::fail("", "unexpected argument \"" + cl.positional()[0] + "\"");
    const vit::BenchOptions options = read_options(cl);
    vit::set_thread_count(options.threads);
    nlohmann::json report;
    if (cl.has("--peak")) {
      report = vit::run_peak(options);
    } else if (cl.has("--fma")) {
      report = vit::run_fma(options);
    } else if (cl.has("--cold")) {
      report = vit::run_cold(options);
    } else {
      double load_ms = 0;
      const vit::VitModel model = vit::open_model(options, &load_ms);
      report = cl.has("--profile") ? vit::run_profile(model, options) : vit::run_latency(model, load_ms, options);
    }
    if (cl.has("--json"))
      std::cout << report.dump() << std::endl;
    else
      vit::print_text_report(report, std::cout);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "vitbench: " << e.what() << "\n";
    return 2;
  }
}

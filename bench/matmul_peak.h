// The fp32 GEMM rate the engine's MatmulRunner (oneDNN) reaches: the ceiling for a forward pass.
#pragma once
#include <string>
#include <vector>

#include "engine/ops/matmul.h"

namespace vit {

struct GemmRate {
  LinearShape shape;  // rows (M) x inputs (K) x outputs (N)
  int runs = 0;
  double best_gflops = 0;    // from the fastest run
  double median_gflops = 0;  // from the median run
};

// Times y = x W^T + b for each shape (weights packed once, as the model does) for at least
// `min_seconds` and 3 runs after one warmup.
std::vector<GemmRate> measure_gemm_rates(const std::vector<LinearShape>& shapes, double min_seconds,
                                         Precision precision = Precision::F32);
// ViT-B/16's fc1 at batch 1 as the model runs it: with the exact-GELU epilogue, and with the
// weights read from memory rather than cache (a different one of `copies` packed matrices each
// call, 36 x 9.4 MB by default, about ViT-B's 330 MB). The rate a forward pass can reach.
GemmRate measure_in_model_fc1(double min_seconds, Precision precision = Precision::F32, int copies = 36);
// The default shapes: 2048^3 and ViT-B/16's qkv, fc1, fc2 at batch 1 and fc1 at batch 8.
std::vector<LinearShape> default_peak_shapes();
// "MxKxN" -> shape; throws Error otherwise.
LinearShape parse_shape(const std::string& text);
// Fastest best_gflops of the list.
double peak_gflops(const std::vector<GemmRate>& rates);

}  // namespace vit

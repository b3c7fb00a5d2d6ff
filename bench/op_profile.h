// Where a forward pass spends its time, by op kind. The engine has no timing hooks, so this is
// a REPLAY: the engine's own kernels (MatmulRunner, layer_norm, multi_head_attention) are called
// in the forward pass's order with its shapes and weights, each call timed on its own.
#pragma once
#include <map>
#include <string>

#include "engine/vit_model.h"

namespace vit {

struct OpProfile {
  // ms per forward pass (median over iterations) for: "gemm" (qkv, proj, fc1 without its
  // activation, fc2, head), "attention_core", "layer_norm", "gelu_epilogue" (fc1 with the GELU
  // post-op minus the same fc1 without it), "patch_embed" (unfold + GEMM).
  std::map<std::string, double> ms;
  std::map<std::string, double> gemm_ms;      // the "gemm" share split by layer kind
  std::map<std::string, double> gemm_gflops;  // and the rate each reached
  double replay_ms = 0;   // the sum of the replayed ops
  double forward_ms = 0;  // model.forward() itself, median, same inputs
  // forward_ms - replay_ms: token assembly, position add, pooling, scratch allocation and
  // per-call overheads the replay does not reproduce (may be slightly negative from noise).
  double other_ms = 0;
};

// Covers the standard blocks (no qk_norm, layer scale, norm_pre or map pooling: those fall
// into "other").
OpProfile profile_forward(const VitModel& model, const float* pixels, int batch, int warmup, int iters);

}  // namespace vit

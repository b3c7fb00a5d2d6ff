#include "engine/ops/op_times.h"

namespace vit {

const char* op_name(Op op) {
  static const char* const kNames[kOpCount] = {"patch_embed", "tokens",   "layer_norm", "qkv_gemm", "attention_core",
                                                "proj_gemm",   "fc1_gemm", "fc2_gemm",   "pool",     "head"};
  return kNames[static_cast<int>(op)];
}

}  // namespace vit

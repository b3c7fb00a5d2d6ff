// The exact floating-point work of one forward pass, counted from the config.
#pragma once
#include <cstdint>

#include "engine/model/vit_config.h"

namespace vit {

// FLOPs = 2 * multiply-accumulates of every matrix product in the forward pass, for `batch`
// images of height x width. Per image, with P patches, T = prefix + P tokens, width D,
// MLP width I, patch length C*p*p, K classes:
//   patch embed  2 * P * (C*p*p) * D
//   per layer    2 * T * D * 3D        (fused qkv)
//              + 2 * T * T * D         (Q K^T over all heads: heads * T * T * head_dim)
//              + 2 * T * T * D         (softmax(..) V)
//              + 2 * T * D * D         (attention output projection)
//              + 2 * T * D * I         (fc1)
//              + 2 * T * I * D         (fc2)
//   head         2 * D * K             (twice for distilled models)
// plus, for "map" pooling, the attention-pool head's products. LayerNorm, softmax, GELU,
// bias and residual additions are not counted (they are O(T*D), not matrix products).
double forward_flops(const VitConfig& config, int batch, int height, int width);

}  // namespace vit

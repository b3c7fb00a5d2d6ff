// Resampling learned position embeddings to another patch grid, in float32 like PyTorch:
// timm's way for dynamic image sizes (bicubic, antialiased, a = -0.5) or transformers'
// interpolate_pos_encoding (torch bicubic, a = -0.75, no antialias, edge samples repeated);
// both align_corners=False.
#pragma once
#include <vector>

#include "engine/model/vit_config.h"

namespace vit {

// grid: [in_h * in_w, dim] row-major tokens; returns [out_h * out_w, dim].
std::vector<float> resample_position_grid(const float* grid, int dim, int in_h, int in_w, int out_h, int out_w,
                                          PositionResample how);

}  // namespace vit

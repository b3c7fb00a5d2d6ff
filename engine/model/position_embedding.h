// Resampling learned position embeddings to another patch grid, as timm does for
// dynamic image sizes (bicubic, antialiased, align_corners=False, in float32).
#pragma once
#include <vector>

namespace vit {

// grid: [in_h * in_w, dim] row-major tokens; returns [out_h * out_w, dim].
std::vector<float> resample_position_grid(const float* grid, int dim, int in_h, int in_w, int out_h,
                                          int out_w);

}  // namespace vit

#include "engine/model/position_embedding.h"

#include <cstddef>

#include "engine/ops/resample_weights.h"

namespace vit {

using std::size_t;

std::vector<float> resample_position_grid(const float* grid, int dim, int in_h, int in_w, int out_h,
                                          int out_w) {
  const ResampleWeights horizontal = resample_weights(in_w, out_w, ResampleFilter::Bicubic);
  const ResampleWeights vertical = resample_weights(in_h, out_h, ResampleFilter::Bicubic);
  // Horizontal pass first, then vertical; accumulate in float like PyTorch's float kernel.
  std::vector<float> wide(static_cast<size_t>(in_h) * out_w * dim, 0.0f);
  for (int y = 0; y < in_h; ++y)
    for (int x = 0; x < out_w; ++x) {
      float* dst = &wide[(static_cast<size_t>(y) * out_w + x) * dim];
      const auto& taps = horizontal.taps[x];
      for (size_t t = 0; t < taps.size(); ++t) {
        const float* src = grid + (static_cast<size_t>(y) * in_w + horizontal.first[x] + t) * dim;
        const float weight = static_cast<float>(taps[t]);
        for (int c = 0; c < dim; ++c) dst[c] += weight * src[c];
      }
    }
  std::vector<float> out(static_cast<size_t>(out_h) * out_w * dim, 0.0f);
  for (int y = 0; y < out_h; ++y) {
    const auto& taps = vertical.taps[y];
    for (int x = 0; x < out_w; ++x) {
      float* dst = &out[(static_cast<size_t>(y) * out_w + x) * dim];
      for (size_t t = 0; t < taps.size(); ++t) {
        const float* src = &wide[(static_cast<size_t>(vertical.first[y] + t) * out_w + x) * dim];
        const float weight = static_cast<float>(taps[t]);
        for (int c = 0; c < dim; ++c) dst[c] += weight * src[c];
      }
    }
  }
  return out;
}

}  // namespace vit

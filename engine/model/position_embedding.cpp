#include "engine/model/position_embedding.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "engine/ops/resample_weights.h"

namespace vit {

using std::size_t;

namespace {

// For each output sample: the input samples it reads and their weights.
struct Taps {
  std::vector<std::vector<int>> index;
  std::vector<std::vector<float>> weight;
};

Taps antialiased_taps(int in_size, int out_size) {
  const ResampleWeights w = resample_weights(in_size, out_size, ResampleFilter::Bicubic);
  Taps taps;
  for (int i = 0; i < out_size; ++i) {
    taps.index.emplace_back();
    taps.weight.emplace_back();
    for (size_t t = 0; t < w.taps[i].size(); ++t) {
      taps.index.back().push_back(w.first[i] + static_cast<int>(t));
      taps.weight.back().push_back(static_cast<float>(w.taps[i][t]));
    }
  }
  return taps;
}

// PyTorch's upsample_bicubic2d (align_corners=False): source x = scale * (i + 0.5) - 0.5, the
// four samples around it clamped to the edge, Keys' cubic with A = -0.75, all in float.
Taps torch_bicubic_taps(int in_size, int out_size) {
  constexpr float A = -0.75f;
  const auto near = [&](float x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };          // |x| <= 1
  const auto far = [&](float x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };  // 1 < |x| < 2
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  Taps taps;
  for (int i = 0; i < out_size; ++i) {
    const float real = scale * (static_cast<float>(i) + 0.5f) - 0.5f;
    const int floor_index = static_cast<int>(std::floor(real));
    const int index = std::min(floor_index, in_size - 1);
    const float t = std::min(std::max(real - static_cast<float>(index), 0.0f), 1.0f);
    taps.weight.push_back({far(t + 1), near(t), near(1 - t), far(2 - t)});
    taps.index.emplace_back();
    for (int k = -1; k <= 2; ++k) taps.index.back().push_back(std::clamp(index + k, 0, in_size - 1));
  }
  return taps;
}

Taps taps_for(int in_size, int out_size, PositionResample how) {
  return how == PositionResample::TorchBicubic ? torch_bicubic_taps(in_size, out_size)
                                               : antialiased_taps(in_size, out_size);
}

// dst[dim] += weight * src[dim]
void accumulate(float* dst, const float* src, float weight, int dim) {
  for (int c = 0; c < dim; ++c) dst[c] += weight * src[c];
}

}  // namespace

std::vector<float> resample_position_grid(const float* grid, int dim, int in_h, int in_w, int out_h, int out_w,
                                          PositionResample how) {
  const Taps horizontal = taps_for(in_w, out_w, how);
  const Taps vertical = taps_for(in_h, out_h, how);
  // Horizontal pass first, then vertical.
  std::vector<float> wide(static_cast<size_t>(in_h) * out_w * dim, 0.0f);
  for (int y = 0; y < in_h; ++y)
    for (int x = 0; x < out_w; ++x)
      for (size_t t = 0; t < horizontal.index[x].size(); ++t)
        accumulate(&wide[(static_cast<size_t>(y) * out_w + x) * dim],
                   grid + (static_cast<size_t>(y) * in_w + horizontal.index[x][t]) * dim, horizontal.weight[x][t], dim);
  std::vector<float> out(static_cast<size_t>(out_h) * out_w * dim, 0.0f);
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < out_w; ++x)
      for (size_t t = 0; t < vertical.index[y].size(); ++t)
        accumulate(&out[(static_cast<size_t>(y) * out_w + x) * dim],
                   &wide[(static_cast<size_t>(vertical.index[y][t]) * out_w + x) * dim], vertical.weight[y][t], dim);
  return out;
}

}  // namespace vit

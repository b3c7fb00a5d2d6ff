#include "engine/ops/quantize.h"

#include <algorithm>
#include <cmath>

namespace vit {

namespace {

float scale_for(float max_abs_value) { return max_abs_value > 0.0f ? max_abs_value / 127.0f : 1.0f; }

float quantize_row(const float* x, int64_t count, int8_t* q) {
  float max_abs = 0.0f;
#pragma omp simd reduction(max : max_abs)
  for (int64_t i = 0; i < count; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
  const float scale = scale_for(max_abs), inverse = 1.0f / scale;
#pragma omp simd
  for (int64_t i = 0; i < count; ++i) {
    // Clamped first (NaN -> 0), then rounded half to even by the 1.5 * 2^23 trick, which
    // vectorizes where std::nearbyint is a library call per element.
    float v = x[i] * inverse;
    v = v >= -127.0f && v <= 127.0f ? v : v > 0.0f ? 127.0f : v < 0.0f ? -127.0f : 0.0f;
    constexpr float kRound = 12582912.0f;
    q[i] = static_cast<int8_t>((v + kRound) - kRound);
  }
  return scale;
}

}  // namespace

void quantize_rows(const float* matrix, int64_t rows, int64_t cols, int8_t* q, float* scales) {
#pragma omp parallel for schedule(static) if (rows * cols > 65536)
  for (int64_t r = 0; r < rows; ++r) scales[r] = quantize_row(matrix + r * cols, cols, q + r * cols);
}

}  // namespace vit

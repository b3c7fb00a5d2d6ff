#include "engine/layer_norm.h"

#include <cmath>

namespace vit {

void layer_norm(const float* x, float* y, int64_t rows, int64_t row_stride, int64_t groups,
                int64_t dim, const float* weight, const float* bias, float eps) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t g = 0; g < groups; ++g) {
      const float* in = x + r * row_stride + g * dim;
      float* out = y + r * row_stride + g * dim;
      // Two passes in double: exact enough that the error is the float32 rounding of the output.
      double sum = 0.0;
      for (int64_t i = 0; i < dim; ++i) sum += in[i];
      const double mean = sum / static_cast<double>(dim);
      double sq = 0.0;
      for (int64_t i = 0; i < dim; ++i) {
        const double d = in[i] - mean;
        sq += d * d;
      }
      const double inv = 1.0 / std::sqrt(sq / static_cast<double>(dim) + static_cast<double>(eps));
      for (int64_t i = 0; i < dim; ++i)
        out[i] = static_cast<float>((in[i] - mean) * inv) * weight[i] + bias[i];
    }
  }
}

}  // namespace vit

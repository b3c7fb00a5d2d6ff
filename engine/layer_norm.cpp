#include "engine/layer_norm.h"

#include <cmath>

namespace vit {

namespace {

// Cloned per instruction set (the build targets baseline x86-64) so the loops vectorize with
// AVX-512 or AVX2 where the CPU has them. Sums in double: two passes exact enough that the
// error is the float32 rounding of the output.
__attribute__((target_clones("avx512f", "avx2", "default"))) void normalize(const float* in, float* out, int64_t dim,
                                                                           const float* weight, const float* bias,
                                                                           float eps) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < dim; ++i) sum += in[i];
  const double mean = sum / static_cast<double>(dim);
  double squares = 0.0;
#pragma omp simd reduction(+ : squares)
  for (int64_t i = 0; i < dim; ++i) {
    const double d = in[i] - mean;
    squares += d * d;
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(squares / static_cast<double>(dim) + static_cast<double>(eps)));
  const float m = static_cast<float>(mean);
#pragma omp simd
  for (int64_t i = 0; i < dim; ++i) out[i] = (in[i] - m) * inv * weight[i] + bias[i];
}

}  // namespace

void layer_norm(const float* x, float* y, int64_t rows, int64_t row_stride, int64_t groups,
                int64_t dim, const float* weight, const float* bias, float eps) {
  // Small calls run on one thread: waking the pool costs more than the work.
#pragma omp parallel for schedule(static) if (rows * groups * dim >= 65536)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g)
      normalize(x + r * row_stride + g * dim, y + r * row_stride + g * dim, dim, weight, bias, eps);
}

}  // namespace vit

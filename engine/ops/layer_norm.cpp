#include "engine/ops/layer_norm.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "engine/ops/quantize.h"

namespace vit {

namespace {

struct RowStats {
  float mean, inverse_deviation;
};

// Cloned per instruction set (the build targets baseline x86-64) so the loops vectorize with
// AVX-512 or AVX2 where the CPU has them. Sums in double: two passes exact enough that the
// error is the float32 rounding of the output.
__attribute__((target_clones("avx512f", "avx2", "default"))) RowStats row_stats(const float* in, int64_t dim,
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
  return {static_cast<float>(mean),
          static_cast<float>(1.0 / std::sqrt(squares / static_cast<double>(dim) + static_cast<double>(eps)))};
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void scale_shift(const float* in, float* out,
                                                                             int64_t dim, RowStats s,
                                                                             const float* weight, const float* bias) {
#pragma omp simd
  for (int64_t i = 0; i < dim; ++i) out[i] = (in[i] - s.mean) * s.inverse_deviation * weight[i] + bias[i];
}

// bfloat16 rounded to nearest even, as oneDNN converts; NaN stays a (quiet) NaN.
__attribute__((target_clones("avx512f", "avx2", "default"))) void scale_shift(const float* in, uint16_t* out,
                                                                             int64_t dim, RowStats s,
                                                                             const float* weight, const float* bias) {
#pragma omp simd
  for (int64_t i = 0; i < dim; ++i) {
    const float v = (in[i] - s.mean) * s.inverse_deviation * weight[i] + bias[i];
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    const uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
    out[i] = static_cast<uint16_t>(v != v ? 0x7FC0u : rounded);
  }
}

template <typename Out>
void normalize_rows(const float* x, Out* y, int64_t rows, int64_t row_stride, int64_t groups, int64_t dim,
                    const float* weight, const float* bias, float eps) {
  // Small calls run on one thread: waking the pool costs more than the work.
#pragma omp parallel for schedule(static) if (rows * groups * dim >= 65536)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      const float* in = x + r * row_stride + g * dim;
      scale_shift(in, y + r * row_stride + g * dim, dim, row_stats(in, dim, eps), weight, bias);
    }
}

}  // namespace

void layer_norm(const float* x, int8_t* y, float* row_scales, int64_t rows, int64_t dim, const float* weight,
                const float* bias, float eps) {
#pragma omp parallel for schedule(static) if (rows * dim >= 65536)
  for (int64_t r = 0; r < rows; ++r) {
    thread_local std::vector<float> normalized;  // one row, in the cache until it is quantized
    normalized.resize(dim);
    const float* in = x + r * dim;
    scale_shift(in, normalized.data(), dim, row_stats(in, dim, eps), weight, bias);
    row_scales[r] = quantize_row(normalized.data(), dim, y + r * dim);
  }
}

void layer_norm(const float* x, float* y, int64_t rows, int64_t row_stride, int64_t groups,
                int64_t dim, const float* weight, const float* bias, float eps) {
  normalize_rows(x, y, rows, row_stride, groups, dim, weight, bias, eps);
}

void layer_norm(const float* x, uint16_t* y, int64_t rows, int64_t dim, const float* weight, const float* bias,
                float eps) {
  normalize_rows(x, y, rows, dim, 1, dim, weight, bias, eps);
}

}  // namespace vit

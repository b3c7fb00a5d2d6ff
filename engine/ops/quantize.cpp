#include "engine/ops/quantize.h"

#include <algorithm>
#include <cmath>

#include "engine/ops/x86_intrinsics.h"

namespace vit {

namespace {

float scale_for(float max_abs_value) { return max_abs_value > 0.0f ? max_abs_value / 127.0f : 1.0f; }

// The portable row: NaN is skipped by the maximum and quantizes to 0; values are clamped to
// +-127, then rounded half to even by the 1.5 * 2^23 trick.
float quantize_row_portable(const float* x, int64_t count, int8_t* q) {
  float max_abs = 0.0f;
#pragma omp simd reduction(max : max_abs)
  for (int64_t i = 0; i < count; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
  const float scale = scale_for(max_abs), inverse = 1.0f / scale;
#pragma omp simd
  for (int64_t i = 0; i < count; ++i) {
    float v = x[i] * inverse;
    v = v >= -127.0f && v <= 127.0f ? v : v > 0.0f ? 127.0f : v < 0.0f ? -127.0f : 0.0f;
    constexpr float kRound = 12582912.0f;
    q[i] = static_cast<int8_t>((v + kRound) - kRound);
  }
  return scale;
}

// The same row, 16 values at a time; every value comes out as the portable code gives it.
VIT_AVX512F float quantize_row_avx512(const float* x, int64_t count, int8_t* q) {
  __m512 maxima[4];
  for (__m512& m : maxima) m = _mm512_setzero_ps();
  int64_t i = 0;
  // The running maximum is the second operand: vmaxps returns it when the value is NaN.
  for (; i + 64 <= count; i += 64)
    for (int u = 0; u < 4; ++u) maxima[u] = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + i + 16 * u)), maxima[u]);
  for (; i < count; i += 16) {
    const __m512 v = _mm512_abs_ps(_mm512_maskz_loadu_ps(first_lanes(count - i), x + i));
    maxima[0] = _mm512_max_ps(v, maxima[0]);
  }
  const float max_abs =
      _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(maxima[0], maxima[1]), _mm512_max_ps(maxima[2], maxima[3])));
  const float scale = scale_for(max_abs);
  const __m512 inverse = _mm512_set1_ps(1.0f / scale), low = _mm512_set1_ps(-127.0f), high = _mm512_set1_ps(127.0f);
  for (i = 0; i < count; i += 16) {
    const __mmask16 lanes = first_lanes(count - i);
    __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, x + i), inverse);
    v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v);  // NaN -> 0
    v = _mm512_min_ps(_mm512_max_ps(v, low), high);
    const __m512i rounded = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm512_mask_cvtsepi32_storeu_epi8(q + i, lanes, rounded);
  }
  return scale;
}

using RowQuantizer = float (*)(const float*, int64_t, int8_t*);

void quantize_each_row(RowQuantizer row_quantizer, const float* matrix, int64_t rows, int64_t cols, int8_t* q,
                       float* scales) {
#pragma omp parallel for schedule(static) if (rows * cols > 65536)
  for (int64_t r = 0; r < rows; ++r) scales[r] = row_quantizer(matrix + r * cols, cols, q + r * cols);
}

RowQuantizer fastest_row_quantizer() {
  static const RowQuantizer fastest = __builtin_cpu_supports("avx512f") ? quantize_row_avx512 : quantize_row_portable;
  return fastest;
}

}  // namespace

float quantize_row(const float* x, int64_t count, int8_t* q) { return fastest_row_quantizer()(x, count, q); }

void quantize_rows(const float* matrix, int64_t rows, int64_t cols, int8_t* q, float* scales) {
  quantize_each_row(fastest_row_quantizer(), matrix, rows, cols, q, scales);
}

void quantize_rows_portable(const float* matrix, int64_t rows, int64_t cols, int8_t* q, float* scales) {
  quantize_each_row(quantize_row_portable, matrix, rows, cols, q, scales);
}

}  // namespace vit

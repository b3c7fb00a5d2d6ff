#include "engine/ops/gated_activation.h"

#include <cmath>

#include "engine/ops/simd_exp.h"
#include "engine/ops/x86_intrinsics.h"

namespace vit {

namespace {

void swiglu_row_portable(const float* gate, const float* value, int64_t width, float* y) {
  for (int64_t i = 0; i < width; ++i) y[i] = gate[i] / (1.0f + std::exp(-gate[i])) * value[i];
}

VIT_AVX512F void swiglu_row_avx512(const float* gate, const float* value, int64_t width, float* y) {
  for (int64_t i = 0; i < width; i += 16) {
    const __mmask16 lanes = first_lanes(width - i);
    const __m512 g = _mm512_maskz_loadu_ps(lanes, gate + i);
    const __m512 out = _mm512_mul_ps(_mm512_mul_ps(g, simd_exp::sigmoid(g)), _mm512_maskz_loadu_ps(lanes, value + i));
    _mm512_mask_storeu_ps(y + i, lanes, out);
  }
}

using SwigluRow = void (*)(const float*, const float*, int64_t, float*);

void gate_each_row(SwigluRow row, const float* in, int64_t rows, int64_t width, float* out) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) row(in + r * 2 * width, in + r * 2 * width + width, width, out + r * width);
}

}  // namespace

void swiglu_gate(const float* in, int64_t rows, int64_t width, float* out) {
  static const SwigluRow fastest = __builtin_cpu_supports("avx512f") ? swiglu_row_avx512 : swiglu_row_portable;
  gate_each_row(fastest, in, rows, width, out);
}

void swiglu_gate_portable(const float* in, int64_t rows, int64_t width, float* out) {
  gate_each_row(swiglu_row_portable, in, rows, width, out);
}

}  // namespace vit

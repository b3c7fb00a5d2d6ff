#include "engine/ops/rescale_rows.h"

#include <cmath>
#include <vector>

#include "engine/ops/quantize.h"
#include "engine/ops/simd_exp.h"
#include "engine/ops/x86_intrinsics.h"
#include "formats/error.h"

namespace vit {

namespace {

constexpr float kInverseSqrt2 = 0.70710678118654752f;
constexpr float kSqrt2OverPi = 0.79788456080286536f;
constexpr float kQuickGeluSlope = 1.702f;

float activate_portable(Epilogue epilogue, float x) {
  switch (epilogue) {
    case Epilogue::GeluErf: return 0.5f * x * std::erfc(-x * kInverseSqrt2);
    case Epilogue::GeluTanh: return x / (1.0f + std::exp(-2.0f * kSqrt2OverPi * (x + 0.044715f * x * x * x)));
    case Epilogue::QuickGelu: return x / (1.0f + std::exp(-kQuickGeluSlope * x));
    default: return x;
  }
}

// Row `row` into out (one row of y, or a buffer for a row that is quantized next).
void rescale_row_portable(const RowRescale& r, int64_t row, float* out) {
  const float scale = r.row_scales[row];
  const float* sums = r.sums + row * r.cols;
  for (int64_t c = 0; c < r.cols; ++c) {
    const float v = std::fma(sums[c], scale, r.bias ? r.bias[c] : 0.0f);  // rounded once, as in AVX-512
    if (r.epilogue == Epilogue::AddToOutput)
      out[c] = std::fma(r.gamma ? r.gamma[c] : 1.0f, v, out[c]);
    else
      out[c] = activate_portable(r.epilogue, v);
  }
}

// erfc(z) for z >= 0 by the Chebyshev fit of Numerical Recipes' erfcc: relative error below
// 1.2e-7 everywhere, so GELU keeps its accuracy far into the negative tail, where
// 1 + erf(z) would cancel.
VIT_AVX512F __m512 erfc_nonnegative(__m512 z) {
  const __m512 t = simd_exp::reciprocal(_mm512_fmadd_ps(_mm512_set1_ps(0.5f), z, _mm512_set1_ps(1.0f)));
  __m512 p = _mm512_set1_ps(0.17087277f);
  for (const float c : {-0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f,
                        0.37409196f, 1.00002368f, -1.26551223f})
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(c));
  return _mm512_mul_ps(t, simd_exp::exp_nonpositive(_mm512_fnmadd_ps(z, z, p)));
}

// x * Phi(x) = x / 2 * erfc(-x / sqrt 2): erfc(|z|) for x < 0, 2 - erfc(|z|) above.
VIT_AVX512F __m512 gelu_erf(__m512 x) {
  const __m512 tail = erfc_nonnegative(_mm512_mul_ps(simd_exp::absolute(x), _mm512_set1_ps(kInverseSqrt2)));
  const __m512 twice_phi = _mm512_mask_sub_ps(tail, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ),
                                              _mm512_set1_ps(2.0f), tail);
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), twice_phi);
}

// x / 2 * (1 + tanh(u)) = x * sigmoid(2u), which does not cancel for negative u.
VIT_AVX512F __m512 gelu_tanh(__m512 x) {
  const __m512 cube = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
  const __m512 u = _mm512_mul_ps(_mm512_set1_ps(kSqrt2OverPi), _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), cube, x));
  return _mm512_mul_ps(x, simd_exp::sigmoid(_mm512_add_ps(u, u)));
}

VIT_AVX512F __m512 activate_avx512(Epilogue epilogue, __m512 x) {
  switch (epilogue) {
    case Epilogue::GeluErf: return gelu_erf(x);
    case Epilogue::GeluTanh: return gelu_tanh(x);
    case Epilogue::QuickGelu: return _mm512_mul_ps(x, simd_exp::sigmoid(_mm512_mul_ps(_mm512_set1_ps(kQuickGeluSlope), x)));
    default: return x;
  }
}

VIT_AVX512F void rescale_row_avx512(const RowRescale& r, int64_t row, float* out) {
  const __m512 scale = _mm512_set1_ps(r.row_scales[row]);
  const float* sums = r.sums + row * r.cols;
  for (int64_t c = 0; c < r.cols; c += 16) {
    const __mmask16 lanes = first_lanes(r.cols - c);
    const __m512 bias = r.bias ? _mm512_maskz_loadu_ps(lanes, r.bias + c) : _mm512_setzero_ps();
    const __m512 v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(lanes, sums + c), scale, bias);
    __m512 result;
    if (r.epilogue == Epilogue::AddToOutput) {
      const __m512 gamma = r.gamma ? _mm512_maskz_loadu_ps(lanes, r.gamma + c) : _mm512_set1_ps(1.0f);
      result = _mm512_fmadd_ps(gamma, v, _mm512_maskz_loadu_ps(lanes, out + c));
    } else {
      result = activate_avx512(r.epilogue, v);
    }
    _mm512_mask_storeu_ps(out + c, lanes, result);
  }
}

using RowRescaler = void (*)(const RowRescale&, int64_t, float*);

void rescale_each_row(RowRescaler rescale_row, const RowRescale& r, float* y) {
#pragma omp parallel for schedule(static) if (r.rows * r.cols > 65536)
  for (int64_t row = 0; row < r.rows; ++row) rescale_row(r, row, y + row * r.cols);
}

// Each row into a buffer that stays in the cache, then quantized from there.
void rescale_and_quantize_each_row(RowRescaler rescale_row, const RowRescale& r, int8_t* q, float* q_scales) {
  if (r.epilogue == Epilogue::AddToOutput) fail("rescale_rows", "a residual update has no int8 output");
#pragma omp parallel for schedule(static) if (r.rows * r.cols > 65536)
  for (int64_t row = 0; row < r.rows; ++row) {
    thread_local std::vector<float> values;
    values.resize(r.cols);
    rescale_row(r, row, values.data());
    q_scales[row] = quantize_row(values.data(), r.cols, q + row * r.cols);
  }
}

RowRescaler fastest_rescaler() {
  static const RowRescaler fastest = __builtin_cpu_supports("avx512f") ? rescale_row_avx512 : rescale_row_portable;
  return fastest;
}

}  // namespace

void rescale_rows(const RowRescale& r, float* y) { rescale_each_row(fastest_rescaler(), r, y); }

void rescale_rows(const RowRescale& r, int8_t* q, float* q_scales) {
  rescale_and_quantize_each_row(fastest_rescaler(), r, q, q_scales);
}

void rescale_rows_portable(const RowRescale& r, float* y) { rescale_each_row(rescale_row_portable, r, y); }

void rescale_rows_portable(const RowRescale& r, int8_t* q, float* q_scales) {
  rescale_and_quantize_each_row(rescale_row_portable, r, q, q_scales);
}

}  // namespace vit

// e^x and the sigmoid in AVX-512 for the kernels that need them (attention's softmax, SwiGLU's
// gate, int8 epilogues). Need only AVX512F, so kernels compiled for more (AVX512BW, BF16, AMX)
// can inline them.
#pragma once

#include "engine/ops/x86_intrinsics.h"

namespace vit::simd_exp {

// e^x for x <= 0 (softmax after subtracting the row maximum): 2^n * e^f with f in
// [-ln2/2, ln2/2] and a degree-6 Taylor polynomial (relative error below 2.5e-7 down to -87,
// where it stops).
VIT_AVX512F inline __m512 exp_nonpositive(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT);
  __m512 f = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  f = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), f);
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

VIT_AVX512F inline __m512 absolute(__m512 x) {
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

// 1 / x from the 14-bit estimate and one Newton step (relative error below 1e-7): a division
// costs several times more on AVX-512.
VIT_AVX512F inline __m512 reciprocal(__m512 x) {
  const __m512 r = _mm512_rcp14_ps(x);
  return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(x, r, _mm512_set1_ps(1.0f)), r);
}

// 1 / (1 + e^-z) from e = e^-|z|, which never overflows: 1 / (1 + e) for z >= 0, e / (1 + e)
// below (relative error below 4e-7). NaN gives a tiny number, not NaN: callers multiply by
// z's own value, which keeps NaN.
VIT_AVX512F inline __m512 sigmoid(__m512 z) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_setzero_ps(), absolute(z)));
  const __m512 numerator = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_GE_OQ), e, one);
  return _mm512_mul_ps(numerator, reciprocal(_mm512_add_ps(one, e)));
}

}  // namespace vit::simd_exp

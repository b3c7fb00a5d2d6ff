// e^x in AVX-512 for the kernels that need it (attention's softmax, SwiGLU's sigmoid). Needs
// only AVX512F, so kernels compiled for more (AVX512BW, BF16, AMX) can inline it.
#pragma once

#include "engine/ops/x86_intrinsics.h"

namespace vit::simd_exp {

// e^x for x <= 0 (softmax after subtracting the row maximum): 2^n * e^f with f in
// [-ln2/2, ln2/2] and a degree-6 Taylor polynomial (relative error below 2e-7).
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

}  // namespace vit::simd_exp

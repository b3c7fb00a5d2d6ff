// AVX-512 pieces the attention kernels share (fused_attention.cpp, amx_attention.cpp): the
// instruction-set attribute, e^x for the softmax, bfloat16 rounding, and the in-register
// transposes that lay K out for the products.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/ops/simd_exp.h"
#include "engine/ops/x86_intrinsics.h"

namespace vit::attention_simd {

using simd_exp::exp_nonpositive;

constexpr int kLanes = 16;

// The kernels are compiled for AVX-512 with BF16: the float32 kernel uses no BF16 instruction
// (GCC emits those only for bfloat16 intrinsics), but may use AVX512BW and AVX512VL, which
// fused_attention_available() checks for (every AVX-512 CPU but Xeon Phi).
#define VIT_KERNEL __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

// The largest of a row's first `keys` values. Four maxima, so the comparisons do not wait on
// each other.
VIT_KERNEL inline float row_maximum(const float* row, int keys) {
  __m512 m[4];
  for (__m512& v : m) v = _mm512_set1_ps(-INFINITY);
  int j = 0;
  for (; j + 4 * kLanes <= keys; j += 4 * kLanes)
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) m[u] = _mm512_max_ps(m[u], _mm512_loadu_ps(row + j + u * kLanes));
  for (; j < keys; j += kLanes) {
    const __mmask16 valid = first_lanes(keys - j);
    m[0] = _mm512_mask_max_ps(m[0], valid, m[0], _mm512_maskz_loadu_ps(valid, row + j));
  }
  return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m[0], m[1]), _mm512_max_ps(m[2], m[3])));
}

// exp(scale * (x - max)) of the 16 values x at p, or exp(x - max) when !kScaled.
template <bool kScaled>
VIT_KERNEL inline __m512 shifted_exp(const float* p, __m512 max, __m512 scale) {
  const __m512 shifted = _mm512_sub_ps(_mm512_loadu_ps(p), max);
  return exp_nonpositive(kScaled ? _mm512_mul_ps(shifted, scale) : shifted);
}

// The softmax numerators of a row of keys_padded values: store(j, e) of the 16 values
// e = exp(scale * (row[j...] - max)) from each j, zero past the first `keys`; returns 1 / their
// sum. Unscaled rows (kScaled false) skip the multiplication. Four sums, so the additions do
// not wait on each other.
template <bool kScaled, class Store>
VIT_KERNEL inline float softmax_row(const float* row, int keys, int64_t keys_padded, float row_max, float scale,
                                    const Store& store) {
  const __m512 max = _mm512_set1_ps(row_max), s = _mm512_set1_ps(scale);
  __m512 sums[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  int64_t j = 0;
  for (; j + 4 * kLanes <= keys; j += 4 * kLanes)
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
      const __m512 e = shifted_exp<kScaled>(row + j + u * kLanes, max, s);
      store(j + u * kLanes, e);
      sums[u] = _mm512_add_ps(sums[u], e);
    }
  for (; j < keys_padded; j += kLanes) {
    const __mmask16 valid = first_lanes(keys - j);
    const __m512 e = _mm512_maskz_mov_ps(valid, shifted_exp<kScaled>(row + j, max, s));
    store(j, e);
    sums[0] = _mm512_add_ps(sums[0], e);
  }
  return 1.0f / _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(sums[0], sums[1]), _mm512_add_ps(sums[2], sums[3])));
}

// The low (or high) 64-bit halves of each 128-bit lane of a and b, interleaved.
VIT_KERNEL inline __m512 pairs(__m512 a, __m512 b, bool high) {
  const __m512d x = _mm512_castps_pd(a), y = _mm512_castps_pd(b);
  return _mm512_castpd_ps(high ? _mm512_unpackhi_pd(x, y) : _mm512_unpacklo_pd(x, y));
}

// kt[d][j] = k[j][d] for 16 keys from j0 and 16 dims from d0: an in-register 16 x 16
// transpose (pairs, then quads within 128-bit lanes, then lanes).
VIT_KERNEL inline void transpose_16x16(const void* k_block, int64_t k_stride, void* kt_block, int64_t keys_padded) {
  // 32-bit elements of any kind (floats or bfloat16 pairs): the shuffles move bits only.
  const float* k = static_cast<const float*>(k_block);
  float* kt = static_cast<float*>(kt_block);
  __m512 r[16], t[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(k + i * k_stride);
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // r[4i + m]: column 4L + m of rows 4i..4i+3 in each 128-bit lane L.
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = pairs(t[4 * i], t[4 * i + 2], false);
    r[4 * i + 1] = pairs(t[4 * i], t[4 * i + 2], true);
    r[4 * i + 2] = pairs(t[4 * i + 1], t[4 * i + 3], false);
    r[4 * i + 3] = pairs(t[4 * i + 1], t[4 * i + 3], true);
  }
#pragma GCC unroll 4
  for (int m = 0; m < 4; ++m) {
    const __m512 even_low = _mm512_shuffle_f32x4(r[m], r[4 + m], 0x88), odd_low = _mm512_shuffle_f32x4(r[m], r[4 + m], 0xDD);
    const __m512 even_high = _mm512_shuffle_f32x4(r[8 + m], r[12 + m], 0x88),
                 odd_high = _mm512_shuffle_f32x4(r[8 + m], r[12 + m], 0xDD);
    _mm512_storeu_ps(kt + m * keys_padded, _mm512_shuffle_f32x4(even_low, even_high, 0x88));
    _mm512_storeu_ps(kt + (8 + m) * keys_padded, _mm512_shuffle_f32x4(even_low, even_high, 0xDD));
    _mm512_storeu_ps(kt + (4 + m) * keys_padded, _mm512_shuffle_f32x4(odd_low, odd_high, 0x88));
    _mm512_storeu_ps(kt + (12 + m) * keys_padded, _mm512_shuffle_f32x4(odd_low, odd_high, 0xDD));
  }
}

// kt = K transposed, [hd][keys_padded], zero past the last key (hd elements of E per key).
template <typename E>
VIT_KERNEL inline void transpose_keys(const E* k, int64_t k_stride, int keys, int hd, E* kt, int64_t keys_padded) {
  const int full_keys = keys / kLanes * kLanes, full_dims = hd / kLanes * kLanes;
  for (int j = 0; j < full_keys; j += kLanes)
    for (int d = 0; d < full_dims; d += kLanes)
      transpose_16x16(k + j * k_stride + d, k_stride, kt + d * keys_padded + j, keys_padded);
  for (int j = 0; j < keys; ++j)
    for (int d = j < full_keys ? full_dims : 0; d < hd; ++d) kt[d * keys_padded + j] = k[j * k_stride + d];
  for (int d = 0; d < hd; ++d) std::fill(kt + d * keys_padded + keys, kt + (d + 1) * keys_padded, E{0});
}

// bfloat16 (rounded to nearest even) of n floats.
VIT_KERNEL inline void to_bf16(const float* in, int n, uint16_t* out) {
  for (int i = 0; i < n; i += kLanes) {
    const __mmask16 m = first_lanes(n - i);
    const __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, in + i));
    _mm256_mask_storeu_epi16(out + i, m, reinterpret_cast<const __m256i&>(h));
  }
}

// The bfloat16 of up to 16 floats, each in the low half of a 32-bit lane (zeros when !present).
VIT_KERNEL inline __m512i bf16_in_low_halves(const float* in, __mmask16 mask, bool present) {
  const __m256bh h = _mm512_cvtneps_pbh(present ? _mm512_maskz_loadu_ps(mask, in) : _mm512_setzero_ps());
  return _mm512_cvtepu16_epi32(reinterpret_cast<const __m256i&>(h));
}

// K as bfloat16 pairs of dims, transposed: kt[p][j] holds k[j][2p] (low half) and k[j][2p + 1],
// [hd / 2][kp], zero past the last key; k_rows ([keys][hd / 2]) is scratch.
VIT_KERNEL inline void pack_keys_bf16(const float* k, int64_t k_stride, int keys, int hd, uint32_t* k_rows,
                                      uint32_t* kt, int64_t kp) {
  const int pairs = hd / 2;
  for (int j = 0; j < keys; ++j) to_bf16(k + j * k_stride, hd, reinterpret_cast<uint16_t*>(k_rows + j * pairs));
  transpose_keys(k_rows, pairs, keys, pairs, kt, kp);
}

// V as bfloat16 pairs of keys: values[j / 2][d] holds v[j][d] (low half) and v[j + 1][d],
// [kp / 2][hd], zero past the last key.
VIT_KERNEL inline void pack_values_bf16(const float* v, int64_t v_stride, int keys, int hd, uint32_t* values,
                                        int64_t kp) {
  for (int64_t j = 0; j < kp; j += 2)
    for (int d = 0; d < hd; d += kLanes) {
      const __mmask16 mask = first_lanes(hd - d);
      const __m512i low = bf16_in_low_halves(v + j * v_stride + d, mask, j < keys);
      const __m512i high = bf16_in_low_halves(v + (j + 1) * v_stride + d, mask, j + 1 < keys);
      _mm512_mask_storeu_epi32(values + j / 2 * hd + d, mask, _mm512_or_si512(low, _mm512_slli_epi32(high, 16)));
    }
}

}  // namespace vit::attention_simd

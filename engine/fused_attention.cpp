#include "engine/fused_attention.h"

// GCC 12's AVX-512 headers leave a dummy operand uninitialised inside intrinsics such as
// _mm512_max_ps (GCC bug 105593); the warning is about the header, not this code.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace vit {

namespace {

constexpr int kRows = 6;  // query rows per register block: 6 x 4 accumulators + 5 operands fit 32 registers
constexpr int kLanes = 16;

int64_t padded_keys(int key_tokens) { return (key_tokens + kLanes - 1) / kLanes * kLanes; }

// e^x for x <= 0 (softmax after subtracting the row maximum): 2^n * e^f with f in
// [-ln2/2, ln2/2] and a degree-6 Taylor polynomial (relative error below 2e-7).
__attribute__((target("avx512f"))) inline __m512 exp_nonpositive(__m512 x) {
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

// scores[r][j] = scale * q_r . k_j for R query rows and the V key vectors (16 keys each)
// from key j0; kt is K transposed, [hd][keys_padded].
template <int R, int V>
__attribute__((target("avx512f"))) void score_vectors(const float* q, int64_t q_stride, const float* kt,
                                                      int64_t keys_padded, int64_t j0, int hd, float scale,
                                                      float* scores) {
  __m512 acc[R * V];
#pragma GCC unroll 32
  for (int i = 0; i < R * V; ++i) acc[i] = _mm512_setzero_ps();
  for (int d = 0; d < hd; ++d) {
    __m512 k[V];
#pragma GCC unroll 4
    for (int c = 0; c < V; ++c) k[c] = _mm512_loadu_ps(kt + d * keys_padded + j0 + c * kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 qv = _mm512_set1_ps(q[r * q_stride + d]);
#pragma GCC unroll 4
      for (int c = 0; c < V; ++c) acc[r * V + c] = _mm512_fmadd_ps(qv, k[c], acc[r * V + c]);
    }
  }
  const __m512 s = _mm512_set1_ps(scale);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int c = 0; c < V; ++c)
      _mm512_storeu_ps(scores + r * keys_padded + j0 + c * kLanes, _mm512_mul_ps(acc[r * V + c], s));
}

// All keys: blocks of four vectors (6 rows x 4 accumulators, the register file's worth), then
// the remaining one to three.
template <int R>
__attribute__((target("avx512f"))) void scores_block(const float* q, int64_t q_stride, const float* kt,
                                                     int64_t keys_padded, int hd, float scale, float* scores) {
  int64_t j = 0;
  for (; j + 4 * kLanes <= keys_padded; j += 4 * kLanes)
    score_vectors<R, 4>(q, q_stride, kt, keys_padded, j, hd, scale, scores);
  switch ((keys_padded - j) / kLanes) {
    case 1: score_vectors<R, 1>(q, q_stride, kt, keys_padded, j, hd, scale, scores); break;
    case 2: score_vectors<R, 2>(q, q_stride, kt, keys_padded, j, hd, scale, scores); break;
    case 3: score_vectors<R, 3>(q, q_stride, kt, keys_padded, j, hd, scale, scores); break;
    default: break;
  }
}

// In place: scores row -> exp(scores - max) over the first `keys` (the padding becomes 0);
// returns 1 / sum.
__attribute__((target("avx512f"))) float softmax_numerators(float* row, int keys, int64_t keys_padded) {
  __m512 m = _mm512_set1_ps(-INFINITY);
  int j = 0;
  for (; j + kLanes <= keys; j += kLanes) m = _mm512_max_ps(m, _mm512_loadu_ps(row + j));
  const __mmask16 tail = static_cast<__mmask16>((1u << (keys - j)) - 1);
  if (keys > j) m = _mm512_mask_max_ps(m, tail, m, _mm512_maskz_loadu_ps(tail, row + j));
  const __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(m));
  __m512 sum = _mm512_setzero_ps();
  for (j = 0; j + kLanes <= keys; j += kLanes) {
    const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(row + j), max));
    _mm512_storeu_ps(row + j, e);
    sum = _mm512_add_ps(sum, e);
  }
  for (; j < keys_padded; j += kLanes) {
    const __mmask16 valid = j < keys ? static_cast<__mmask16>(keys - j >= kLanes ? 0xffff : (1u << (keys - j)) - 1) : 0;
    const __m512 e = _mm512_maskz_mov_ps(valid, exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(row + j), max)));
    _mm512_storeu_ps(row + j, e);
    sum = _mm512_add_ps(sum, e);
  }
  return 1.0f / _mm512_reduce_add_ps(sum);
}

// out_r = inverse_sum_r * sum_j p[r][j] v_j for up to four 16-float vectors of the head
// (d0 is the first vector; `tail` masks the last one).
// V (a compile-time count) vectors of 16 floats. The accumulators are one flat, fully unrolled
// array: with a 2-D array GCC 12 stored every accumulator to the stack on each iteration
// (measured 2.5x slower).
template <int R, int V>
__attribute__((target("avx512f"))) void weighted_values(const float* p, int64_t keys_padded, int keys, const float* v,
                                                        int64_t v_stride, int d0, __mmask16 tail,
                                                        const float* inverse_sums, float* out, int64_t out_stride) {
  __m512 acc[R * V];
#pragma GCC unroll 32
  for (int i = 0; i < R * V; ++i) acc[i] = _mm512_setzero_ps();
  const __mmask16 last = tail;
  for (int j = 0; j < keys; ++j) {
    __m512 vv[V];
#pragma GCC unroll 4
    for (int c = 0; c < V - 1; ++c) vv[c] = _mm512_loadu_ps(v + j * v_stride + d0 + c * kLanes);
    vv[V - 1] = _mm512_maskz_loadu_ps(last, v + j * v_stride + d0 + (V - 1) * kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 pr = _mm512_set1_ps(p[r * keys_padded + j]);
#pragma GCC unroll 4
      for (int c = 0; c < V; ++c) acc[r * V + c] = _mm512_fmadd_ps(pr, vv[c], acc[r * V + c]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    const __m512 inv = _mm512_set1_ps(inverse_sums[r]);
#pragma GCC unroll 4
    for (int c = 0; c < V - 1; ++c) _mm512_storeu_ps(out + r * out_stride + d0 + c * kLanes, _mm512_mul_ps(acc[r * V + c], inv));
    _mm512_mask_storeu_ps(out + r * out_stride + d0 + (V - 1) * kLanes, last, _mm512_mul_ps(acc[r * V + V - 1], inv));
  }
}

// The low (or high) 64-bit halves of each 128-bit lane of a and b, interleaved.
__attribute__((target("avx512f"))) inline __m512 pairs(__m512 a, __m512 b, bool high) {
  const __m512d x = _mm512_castps_pd(a), y = _mm512_castps_pd(b);
  return _mm512_castpd_ps(high ? _mm512_unpackhi_pd(x, y) : _mm512_unpacklo_pd(x, y));
}

// kt[d][j] = k[j][d] for 16 keys from j0 and 16 dims from d0: an in-register 16 x 16
// transpose (pairs, then quads within 128-bit lanes, then lanes).
__attribute__((target("avx512f"))) void transpose_16x16(const float* k, int64_t k_stride, float* kt,
                                                        int64_t keys_padded) {
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

// kt = K transposed, [hd][keys_padded], zero past the last key.
__attribute__((target("avx512f"))) void transpose_keys(const float* k, int64_t k_stride, int keys, int hd,
                                                       float* kt, int64_t keys_padded) {
  const int full_keys = keys / kLanes * kLanes, full_dims = hd / kLanes * kLanes;
  for (int j = 0; j < full_keys; j += kLanes)
    for (int d = 0; d < full_dims; d += kLanes)
      transpose_16x16(k + j * k_stride + d, k_stride, kt + d * keys_padded + j, keys_padded);
  for (int j = 0; j < keys; ++j)
    for (int d = j < full_keys ? full_dims : 0; d < hd; ++d) kt[d * keys_padded + j] = k[j * k_stride + d];
  for (int d = 0; d < hd; ++d) std::fill(kt + d * keys_padded + keys, kt + (d + 1) * keys_padded, 0.0f);
}

template <int R>
__attribute__((target("avx512f"))) void attend_rows(const HeadMatrices& m, int64_t row, int keys, int hd, float scale,
                                                    const float* kt, int64_t keys_padded, float* scores) {
  scores_block<R>(m.q + row * m.q_stride, m.q_stride, kt, keys_padded, hd, scale, scores);
  float inverse_sums[R];
  for (int r = 0; r < R; ++r) inverse_sums[r] = softmax_numerators(scores + r * keys_padded, keys, keys_padded);
  const int vectors_total = (hd + kLanes - 1) / kLanes;
  for (int c0 = 0; c0 < vectors_total; c0 += 4) {
    const int vectors = std::min(4, vectors_total - c0);
    const int last_width = std::min(kLanes, hd - (c0 + vectors - 1) * kLanes);
    const __mmask16 tail = static_cast<__mmask16>(last_width == kLanes ? 0xffff : (1u << last_width) - 1);
    auto run = [&](auto vector_count) {
      weighted_values<R, decltype(vector_count)::value>(scores, keys_padded, keys, m.v, m.v_stride, c0 * kLanes, tail,
                                                         inverse_sums, m.out + row * m.out_stride, m.out_stride);
    };
    switch (vectors) {
      case 1: run(std::integral_constant<int, 1>()); break;
      case 2: run(std::integral_constant<int, 2>()); break;
      case 3: run(std::integral_constant<int, 3>()); break;
      default: run(std::integral_constant<int, 4>()); break;
    }
  }
}

}  // namespace

bool fused_attention_available() { return __builtin_cpu_supports("avx512f"); }

int64_t fused_attention_work_floats(int key_tokens, int head_dim) {
  return padded_keys(key_tokens) * (2 * head_dim + kRows);
}

__attribute__((target("avx512f"))) void fused_attention_head(const HeadMatrices& m, int query_tokens, int key_tokens,
                                                             int head_dim, float scale, float* work) {
  const int64_t keys_padded = padded_keys(key_tokens);
  float* kt = work;                                     // [hd][keys_padded]
  float* scores = kt + head_dim * keys_padded;          // [kRows][keys_padded]
  float* values = scores + kRows * keys_padded;         // [key_tokens][hd], contiguous
  // Contiguous values: rows of the qkv activations lie 3 * hidden floats apart, further than
  // the hardware prefetchers follow.
  for (int j = 0; j < key_tokens; ++j) std::memcpy(values + j * head_dim, m.v + j * m.v_stride, sizeof(float) * head_dim);
  HeadMatrices packed = m;
  packed.v = values;
  packed.v_stride = head_dim;
  transpose_keys(m.k, m.k_stride, key_tokens, head_dim, kt, keys_padded);
  int64_t row = 0;
  for (; row + kRows <= query_tokens; row += kRows)
    attend_rows<kRows>(packed, row, key_tokens, head_dim, scale, kt, keys_padded, scores);
  for (; row < query_tokens; ++row) attend_rows<1>(packed, row, key_tokens, head_dim, scale, kt, keys_padded, scores);
}

}  // namespace vit

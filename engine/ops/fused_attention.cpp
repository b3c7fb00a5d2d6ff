#include "engine/ops/fused_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "engine/ops/attention_simd.h"

namespace vit {

namespace {

using namespace attention_simd;

constexpr int kRows = 6;  // query rows per register block: 6 x 4 accumulators + 5 operands fit 32 registers

// The arithmetic of the two kernels. F32: one float32 FMA per lane. Bf16Pairs: each 32-bit
// element holds two bfloat16, and one instruction adds both products of a pair (AVX512-BF16).
struct F32 {
  using Element = float;
  VIT_KERNEL static __m512 load(const float* p) { return _mm512_loadu_ps(p); }
  VIT_KERNEL static __m512 load(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
  VIT_KERNEL static __m512 broadcast(const float* p) { return _mm512_set1_ps(*p); }
  VIT_KERNEL static __m512 madd(__m512 a, __m512 b, __m512 acc) { return _mm512_fmadd_ps(a, b, acc); }
};
struct Bf16Pairs {
  using Element = uint32_t;
  VIT_KERNEL static __m512 load(const uint32_t* p) { return _mm512_castsi512_ps(_mm512_loadu_si512(p)); }
  VIT_KERNEL static __m512 load(const uint32_t* p, __mmask16 m) {
    return _mm512_castsi512_ps(_mm512_maskz_loadu_epi32(m, p));
  }
  VIT_KERNEL static __m512 broadcast(const uint32_t* p) { return _mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int>(*p))); }
  VIT_KERNEL static __m512 madd(__m512 a, __m512 b, __m512 acc) {
    return _mm512_dpbf16_ps(acc, reinterpret_cast<__m512bh&>(a), reinterpret_cast<__m512bh&>(b));
  }
};

int64_t padded_keys(int key_tokens) { return (key_tokens + kLanes - 1) / kLanes * kLanes; }


// scores[r][j] = scale * q_r . k_j for R query rows and the V key vectors (16 keys each)
// from key j0, over `steps` elements of q (head_dim floats, or head_dim / 2 bfloat16 pairs);
// kt is K transposed, [steps][keys_padded].
template <class Math, int R, int V>
VIT_KERNEL void score_vectors(const typename Math::Element* q, int64_t q_stride, const typename Math::Element* kt,
                              int64_t keys_padded, int64_t j0, int steps, float scale, float* scores, int keys,
                              __m512* row_max) {
  __m512 acc[R * V];
#pragma GCC unroll 32
  for (int i = 0; i < R * V; ++i) acc[i] = _mm512_setzero_ps();
  for (int d = 0; d < steps; ++d) {
    __m512 k[V];
#pragma GCC unroll 4
    for (int c = 0; c < V; ++c) k[c] = Math::load(kt + d * keys_padded + j0 + c * kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 qv = Math::broadcast(q + r * q_stride + d);
#pragma GCC unroll 4
      for (int c = 0; c < V; ++c) acc[r * V + c] = Math::madd(qv, k[c], acc[r * V + c]);
    }
  }
  const __m512 s = _mm512_set1_ps(scale);
  __mmask16 valid[V];
#pragma GCC unroll 4
  for (int c = 0; c < V; ++c) {
    const int64_t left = keys - (j0 + c * kLanes);
    valid[c] = first_lanes(left);
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    __m512 m = row_max[r];
#pragma GCC unroll 4
    for (int c = 0; c < V; ++c) {
      const __m512 scaled = _mm512_mul_ps(acc[r * V + c], s);
      _mm512_storeu_ps(scores + r * keys_padded + j0 + c * kLanes, scaled);
      m = _mm512_mask_max_ps(m, valid[c], m, scaled);
    }
    row_max[r] = m;
  }
}

// All keys: blocks of four vectors (6 rows x 4 accumulators, the register file's worth), then
// the remaining one to three.
template <class Math, int R>
VIT_KERNEL void scores_block(const typename Math::Element* q, int64_t q_stride, const typename Math::Element* kt,
                             int64_t keys_padded, int steps, float scale, float* scores, int keys, float* maxima) {
  __m512 row_max[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) row_max[r] = _mm512_set1_ps(-INFINITY);
  int64_t j = 0;
  for (; j + 4 * kLanes <= keys_padded; j += 4 * kLanes)
    score_vectors<Math, R, 4>(q, q_stride, kt, keys_padded, j, steps, scale, scores, keys, row_max);
  switch ((keys_padded - j) / kLanes) {
    case 1: score_vectors<Math, R, 1>(q, q_stride, kt, keys_padded, j, steps, scale, scores, keys, row_max); break;
    case 2: score_vectors<Math, R, 2>(q, q_stride, kt, keys_padded, j, steps, scale, scores, keys, row_max); break;
    case 3: score_vectors<Math, R, 3>(q, q_stride, kt, keys_padded, j, steps, scale, scores, keys, row_max); break;
    default: break;
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) maxima[r] = _mm512_reduce_max_ps(row_max[r]);
}

// Stores numerators back over the scores they come from.
struct InPlace {
  float* row;
  VIT_KERNEL void operator()(int64_t j, __m512 e) const { _mm512_storeu_ps(row + j, e); }
};

// out_r = inverse_sum_r * sum_j p[r][j] v_j for V (a compile-time count, up to four) 16-float
// vectors of the head from d0, `tail` masking the last one; j runs over `steps` elements of p
// (keys, or pairs of keys). The accumulators are one flat, fully unrolled array: with a 2-D
// array GCC 12 stored every accumulator to the stack on each iteration (measured 2.5x slower).
template <class Math, int R, int V>
VIT_KERNEL void weighted_values(const typename Math::Element* p, int64_t p_stride, int steps,
                                const typename Math::Element* v, int64_t v_stride, int d0, __mmask16 tail,
                                const float* inverse_sums, float* out, int64_t out_stride) {
  __m512 acc[R * V];
#pragma GCC unroll 32
  for (int i = 0; i < R * V; ++i) acc[i] = _mm512_setzero_ps();
  const __mmask16 last = tail;
  for (int j = 0; j < steps; ++j) {
    __m512 vv[V];
#pragma GCC unroll 4
    for (int c = 0; c < V - 1; ++c) vv[c] = Math::load(v + j * v_stride + d0 + c * kLanes);
    vv[V - 1] = Math::load(v + j * v_stride + d0 + (V - 1) * kLanes, last);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 pr = Math::broadcast(p + r * p_stride + j);
#pragma GCC unroll 4
      for (int c = 0; c < V; ++c) acc[r * V + c] = Math::madd(pr, vv[c], acc[r * V + c]);
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


// One head's K and V as the kernel reads them, prepared once per head, with its scratch: in
// float32, K transposed [head_dim][keys_padded] and V contiguous [keys][head_dim]; in bfloat16
// pairs, K transposed by pairs of dims [head_dim / 2][keys_padded] and V by pairs of keys
// [keys_padded / 2][head_dim].
template <class Math>
struct PreparedHead {
  using E = typename Math::Element;
  const E* kt;
  const E* v;
  int steps;        // of q . k: head_dim, or head_dim / 2 pairs
  int value_steps;  // of p . v: keys, or pairs of keys
  int64_t keys_padded;
  float* scores;  // [kRows][keys_padded]
  E* p;           // softmax numerators as Math reads them ([kRows][p_stride]; the scores for F32)
  int64_t p_stride;
};

template <class Math, int R>
VIT_KERNEL void attend_rows(const PreparedHead<Math>& h, const typename Math::Element* q, int64_t q_stride, int keys,
                            int hd, float scale, float* out, int64_t out_stride) {
  float maxima[R], inverse_sums[R];
  scores_block<Math, R>(q, q_stride, h.kt, h.keys_padded, h.steps, scale, h.scores, keys, maxima);
  for (int r = 0; r < R; ++r) {
    float* row = h.scores + r * h.keys_padded;
    inverse_sums[r] = softmax_row<false>(row, keys, h.keys_padded, maxima[r], 1.0f, InPlace{row});
    if constexpr (!std::is_same_v<Math, F32>)
      to_bf16(h.scores + r * h.keys_padded, static_cast<int>(h.keys_padded), reinterpret_cast<uint16_t*>(h.p + r * h.p_stride));
  }
  const int vectors_total = (hd + kLanes - 1) / kLanes;
  for (int c0 = 0; c0 < vectors_total; c0 += 4) {
    const int vectors = std::min(4, vectors_total - c0);
    const int last_width = std::min(kLanes, hd - (c0 + vectors - 1) * kLanes);
    const __mmask16 tail = first_lanes(last_width);
    auto run = [&](auto vector_count) {
      weighted_values<Math, R, decltype(vector_count)::value>(h.p, h.p_stride, h.value_steps, h.v, hd, c0 * kLanes,
                                                               tail, inverse_sums, out, out_stride);
    };
    switch (vectors) {
      case 1: run(std::integral_constant<int, 1>()); break;
      case 2: run(std::integral_constant<int, 2>()); break;
      case 3: run(std::integral_constant<int, 3>()); break;
      default: run(std::integral_constant<int, 4>()); break;
    }
  }
}

// Float32 work: kt [hd][kp], scores [kRows][kp], V [keys][hd].
int64_t f32_work_floats(int key_tokens, int hd) { return padded_keys(key_tokens) * (2 * hd + kRows); }

// bfloat16-pair work (32-bit units): K rows in bfloat16 [keys][hd / 2], kt [hd / 2][kp],
// V pairs [kp / 2][hd], scores [kRows][kp], numerators [kRows][kp / 2], q rows [kRows][hd / 2].
int64_t bf16_work_units(int key_tokens, int hd) {
  const int64_t kp = padded_keys(key_tokens), pairs = hd / 2;
  return key_tokens * pairs + pairs * kp + kp / 2 * hd + kRows * kp + kRows * kp / 2 + kRows * pairs;
}

VIT_KERNEL void attention_head_f32(const HeadMatrices& m, int query_tokens, int keys, int hd, float scale,
                                   float* work) {
  const int64_t kp = padded_keys(keys);
  float* kt = work;
  float* scores = kt + hd * kp;
  float* values = scores + kRows * kp;
  // Contiguous values: rows of the qkv activations lie 3 * hidden floats apart, further than
  // the hardware prefetchers follow.
  for (int j = 0; j < keys; ++j) std::memcpy(values + j * hd, m.v + j * m.v_stride, sizeof(float) * hd);
  transpose_keys(m.k, m.k_stride, keys, hd, kt, kp);
  const PreparedHead<F32> h{kt, values, hd, keys, kp, scores, scores, kp};
  int64_t row = 0;
  for (; row + kRows <= query_tokens; row += kRows)
    attend_rows<F32, kRows>(h, m.q + row * m.q_stride, m.q_stride, keys, hd, scale, m.out + row * m.out_stride,
                            m.out_stride);
  for (; row < query_tokens; ++row)
    attend_rows<F32, 1>(h, m.q + row * m.q_stride, m.q_stride, keys, hd, scale, m.out + row * m.out_stride,
                        m.out_stride);
}

VIT_KERNEL void attention_head_bf16(const HeadMatrices& m, int query_tokens, int keys, int hd, float scale,
                                    float* work) {
  const int64_t kp = padded_keys(keys);
  const int pairs = hd / 2;
  uint32_t* k_rows = reinterpret_cast<uint32_t*>(work);
  uint32_t* kt = k_rows + static_cast<int64_t>(keys) * pairs;
  uint32_t* values = kt + pairs * kp;
  float* scores = reinterpret_cast<float*>(values + kp / 2 * hd);
  uint32_t* p = reinterpret_cast<uint32_t*>(scores + kRows * kp);
  uint32_t* q_rows = p + kRows * kp / 2;
  pack_keys_bf16(m.k, m.k_stride, keys, hd, k_rows, kt, kp);
  pack_values_bf16(m.v, m.v_stride, keys, hd, values, kp);
  const PreparedHead<Bf16Pairs> h{kt, values, pairs, static_cast<int>(kp / 2), kp, scores, p, kp / 2};
  auto rows = [&](int64_t row, int count) {
    for (int r = 0; r < count; ++r)
      to_bf16(m.q + (row + r) * m.q_stride, hd, reinterpret_cast<uint16_t*>(q_rows + r * pairs));
    if (count == kRows)
      attend_rows<Bf16Pairs, kRows>(h, q_rows, pairs, keys, hd, scale, m.out + row * m.out_stride, m.out_stride);
    else
      attend_rows<Bf16Pairs, 1>(h, q_rows, pairs, keys, hd, scale, m.out + row * m.out_stride, m.out_stride);
  };
  int64_t row = 0;
  for (; row + kRows <= query_tokens; row += kRows) rows(row, kRows);
  for (; row < query_tokens; ++row) rows(row, 1);
}

}  // namespace

bool fused_attention_available() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

bool fused_attention_bf16_available() { return fused_attention_available() && __builtin_cpu_supports("avx512bf16"); }

int64_t fused_attention_work_floats(int key_tokens, int head_dim) {
  return std::max(f32_work_floats(key_tokens, head_dim), bf16_work_units(key_tokens, head_dim));
}

void fused_attention_head(const HeadMatrices& m, int query_tokens, int key_tokens, int head_dim, float scale,
                          float* work, bool bf16_products) {
  if (bf16_products && head_dim % 2 == 0)
    attention_head_bf16(m, query_tokens, key_tokens, head_dim, scale, work);
  else
    attention_head_f32(m, query_tokens, key_tokens, head_dim, scale, work);
}

}  // namespace vit

#include "engine/attention.h"

#include <cmath>
#include <vector>

#include "engine/fused_attention.h"

namespace vit {

namespace {

// One task per (batch item, head): the scores of a head stay in the cache.
void fused_multi_head_attention(const AttentionShape& s, HeadView q, HeadView k, HeadView v, float* out,
                                int64_t out_batch_stride, int64_t out_row_stride, float scale) {
  const int64_t tasks = static_cast<int64_t>(s.batch) * s.heads;
  const int64_t work_floats = fused_attention_work_floats(s.key_tokens, s.head_dim);
#pragma omp parallel
  {
    thread_local std::vector<float> work;
    if (work.size() < static_cast<size_t>(work_floats)) work.resize(work_floats);
#pragma omp for schedule(static)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t b = task / s.heads, h = task % s.heads, offset = h * s.head_dim;
      const HeadMatrices m{q.base + b * q.batch_stride + offset, q.row_stride,
                           k.base + b * k.batch_stride + offset, k.row_stride,
                           v.base + b * v.batch_stride + offset, v.row_stride,
                           out + b * out_batch_stride + offset,  out_row_stride};
      fused_attention_head(m, s.query_tokens, s.key_tokens, s.head_dim, scale, work.data());
    }
  }
}

}  // namespace

void multi_head_attention(const MatmulRunner& mm, const AttentionShape& s, HeadView q, HeadView k, HeadView v,
                          float* out, int64_t out_batch_stride, int64_t out_row_stride, float* scores,
                          AttentionKernel kernel) {
  static const bool has_avx512 = fused_attention_available();
  const int64_t B = s.batch, H = s.heads, hd = s.head_dim, Tq = s.query_tokens, Tk = s.key_tokens;
  const int64_t qB = q.batch_stride == 0 ? 1 : B;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  if (kernel == AttentionKernel::Fused || (kernel == AttentionKernel::Auto && has_avx512))
    return fused_multi_head_attention(s, q, k, v, out, out_batch_stride, out_row_stride, scale);
  // scores = scale * Q K^T, with K read transposed through its strides.
  StridedMatmul qk{{qB, H, Tq, hd}, {q.batch_stride, hd, q.row_stride, 1},
                   {B, H, hd, Tk},  {k.batch_stride, hd, 1, k.row_stride},
                   {B, H, Tq, Tk},  {H * Tq * Tk, Tq * Tk, Tk, 1}, scale};
  mm.strided_matmul(qk, q.base, k.base, scores);
  const int64_t dims[4] = {B, H, Tq, Tk};
  mm.softmax_last_axis(scores, dims);
  // out = P V, written straight into the heads-concatenated token layout.
  StridedMatmul pv{{B, H, Tq, Tk}, {H * Tq * Tk, Tq * Tk, Tk, 1},
                   {B, H, Tk, hd}, {v.batch_stride, hd, v.row_stride, 1},
                   {B, H, Tq, hd}, {out_batch_stride, hd, out_row_stride, 1}, 1.0f};
  mm.strided_matmul(pv, scores, v.base, out);
}

}  // namespace vit

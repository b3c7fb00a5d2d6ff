#include "engine/attention.h"

#include <cmath>

namespace vit {

void multi_head_attention(const MatmulRunner& mm, const AttentionShape& s, HeadView q, HeadView k, HeadView v,
                          float* out, int64_t out_batch_stride, int64_t out_row_stride, float* scores) {
  const int64_t B = s.batch, H = s.heads, hd = s.head_dim, Tq = s.query_tokens, Tk = s.key_tokens;
  const int64_t qB = q.batch_stride == 0 ? 1 : B;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
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

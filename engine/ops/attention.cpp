#include "engine/ops/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "engine/ops/amx_attention.h"
#include "engine/ops/fused_attention.h"

namespace vit {

namespace {

// How each head is computed.
enum class HeadKernel { F32, Bf16Products, AmxTiles };

void attend_head(HeadKernel kernel, const HeadMatrices& m, int rows, const AttentionShape& s, float scale,
                 float* work) {
  if (kernel == HeadKernel::AmxTiles)
    amx_attention_head(m, rows, s.key_tokens, scale, work);
  else
    fused_attention_head(m, rows, s.key_tokens, s.head_dim, scale, work, kernel == HeadKernel::Bf16Products);
}

int64_t head_work_floats(HeadKernel kernel, const AttentionShape& s) {
  return kernel == HeadKernel::AmxTiles ? amx_attention_work_floats(s.key_tokens)
                                        : fused_attention_work_floats(s.key_tokens, s.head_dim);
}

// Tasks of (batch item, head, block of query rows): the scores of a head stay in the cache.
// Heads are split into row blocks so that every thread gets the same number of tasks (ViT-Ti's
// 3 heads on 2 threads would leave one idle a third of the time), and at least four each while
// blocks keep 128 rows (each task prepares its head's K and V, so shorter blocks repeat that
// work: ViT-Ti/16's attention took 8% longer with 49-row blocks): handed out as threads come
// free, they let a thread that shares its core with another process do less.
void fused_multi_head_attention(const AttentionShape& s, HeadView q, HeadView k, HeadView v, float* out,
                                int64_t out_batch_stride, int64_t out_row_stride, float scale, HeadKernel kernel) {
  const int64_t heads = static_cast<int64_t>(s.batch) * s.heads, threads = omp_get_max_threads();
  int64_t blocks = threads / std::gcd(heads, threads);
  while (heads * blocks < 4 * threads && s.query_tokens / (2 * blocks) >= 128) blocks *= 2;
  blocks = std::min<int64_t>(blocks, s.query_tokens);
  const int64_t block_rows = (s.query_tokens + blocks - 1) / blocks;
  const int64_t tasks = heads * blocks;
  const int64_t work_floats = head_work_floats(kernel, s);
#pragma omp parallel
  {
    thread_local std::vector<float> work;
    if (work.size() < static_cast<size_t>(work_floats)) work.resize(work_floats);
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t head = task / blocks, b = head / s.heads, offset = (head % s.heads) * s.head_dim;
      const int64_t first = (task % blocks) * block_rows;
      const int64_t rows = std::min<int64_t>(block_rows, s.query_tokens - first);
      if (rows <= 0) continue;
      const HeadMatrices m{q.base + b * q.batch_stride + first * q.row_stride + offset, q.row_stride,
                           k.base + b * k.batch_stride + offset, k.row_stride,
                           v.base + b * v.batch_stride + offset, v.row_stride,
                           out + b * out_batch_stride + first * out_row_stride + offset,  out_row_stride};
      attend_head(kernel, m, static_cast<int>(rows), s, scale, work.data());
    }
  }
}

// The oneDNN kernel's scores cover this many query rows of every head at a time: all of them
// while the scores fit kScoreBudget floats (ViT-B/16 at 224 px up to batch 4), so the scratch
// grows with tokens, not tokens squared (DINOv2 at 518 px: 255-row blocks, 8 MiB instead of
// 43 MiB).
constexpr int64_t kScoreBudget = int64_t{2} << 20;

int64_t query_block_rows(const AttentionShape& s) {
  const int64_t per_row = std::max<int64_t>(1, static_cast<int64_t>(s.batch) * s.heads * s.key_tokens);
  return std::min<int64_t>(s.query_tokens, std::max<int64_t>(16, kScoreBudget / per_row));
}

bool has_bf16_products() {
  static const bool has_bf16 = fused_attention_bf16_available();
  return has_bf16;
}

bool runs_fused(AttentionKernel kernel) {
  static const bool has_avx512 = fused_attention_available();
  return kernel == AttentionKernel::Fused || kernel == AttentionKernel::FusedBf16 ||
         kernel == AttentionKernel::AmxBf16 || (kernel == AttentionKernel::Auto && has_avx512);
}

// Whether bfloat16 products beat float32 FMAs. They double the multiply rate where vector FMAs
// issue once per cycle (AMD Zen 4: ViT-B/16 attention 7.2 -> 4.3 ms). Intel cores with AMX issue
// two FMAs per cycle and VDPBF16PS on one port, so there the conversions are pure cost (Xeon with
// AMX, bfloat16 ViT-B/16: attention 19.5 ms with bfloat16 products, 11.4 ms in float32).
bool bf16_products_pay() {
  static const bool pay = has_bf16_products() && !__builtin_cpu_supports("amx-bf16");
  return pay;
}

// AMX tiles where asked for and laid out for the head width; bfloat16 products where asked
// for (or in place of tiles where they pay); float32 FMAs otherwise.
HeadKernel head_kernel(AttentionKernel kernel, int head_dim) {
  if (kernel == AttentionKernel::AmxBf16 && head_dim == kAmxHeadDim && amx_attention_available())
    return HeadKernel::AmxTiles;
  const bool bf16 =
      kernel == AttentionKernel::FusedBf16 || (kernel == AttentionKernel::AmxBf16 && bf16_products_pay());
  return bf16 && has_bf16_products() && head_dim % 2 == 0 ? HeadKernel::Bf16Products : HeadKernel::F32;
}

}  // namespace

AttentionKernel attention_kernel_for(Precision precision) {
  if (precision == Precision::F32) return AttentionKernel::Auto;
  if (amx_attention_available()) return AttentionKernel::AmxBf16;
  return bf16_products_pay() ? AttentionKernel::FusedBf16 : AttentionKernel::Auto;
}

int64_t attention_scratch_size(const AttentionShape& s, AttentionKernel kernel) {
  return runs_fused(kernel) ? 0 : static_cast<int64_t>(s.batch) * s.heads * query_block_rows(s) * s.key_tokens;
}

void multi_head_attention(const MatmulRunner& mm, const AttentionShape& s, HeadView q, HeadView k, HeadView v,
                          float* out, int64_t out_batch_stride, int64_t out_row_stride, float* scores,
                          AttentionKernel kernel) {
  const int64_t B = s.batch, H = s.heads, hd = s.head_dim, Tq = s.query_tokens, Tk = s.key_tokens;
  const int64_t qB = q.batch_stride == 0 ? 1 : B;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  if (runs_fused(kernel))
    return fused_multi_head_attention(s, q, k, v, out, out_batch_stride, out_row_stride, scale,
                                      head_kernel(kernel, s.head_dim));
  const int64_t block = query_block_rows(s);
  for (int64_t first = 0; first < Tq; first += block) {
    const int64_t rows = std::min(block, Tq - first);
    // scores = scale * Q K^T for these query rows of every head, with K read transposed.
    StridedMatmul qk{{qB, H, rows, hd}, {q.batch_stride, hd, q.row_stride, 1},
                     {B, H, hd, Tk},    {k.batch_stride, hd, 1, k.row_stride},
                     {B, H, rows, Tk},  {H * rows * Tk, rows * Tk, Tk, 1}, scale};
    mm.strided_matmul(qk, q.base + first * q.row_stride, k.base, scores);
    const int64_t dims[4] = {B, H, rows, Tk};
    mm.softmax_last_axis(scores, dims);
    // out = P V, written straight into the heads-concatenated token layout.
    StridedMatmul pv{{B, H, rows, Tk}, {H * rows * Tk, rows * Tk, Tk, 1},
                     {B, H, Tk, hd},   {v.batch_stride, hd, v.row_stride, 1},
                     {B, H, rows, hd}, {out_batch_stride, hd, out_row_stride, 1}, 1.0f};
    mm.strided_matmul(pv, scores, v.base, out + first * out_row_stride);
  }
}

}  // namespace vit

// The attention core: softmax(Q K^T * scale) V per batch item and head, on oneDNN primitives.
#pragma once
#include <cstdint>

#include "engine/ops/matmul.h"

namespace vit {

// Row-major views into packed activations: row t of batch item b for head h starts at
// base + b * batch_stride + t * row_stride + h * head_dim. batch_stride 0 shares one
// matrix across the batch (the map head's latent query).
struct HeadView {
  const float* base;
  int64_t batch_stride;
  int64_t row_stride;
};

struct AttentionShape {
  int batch;
  int heads;
  int head_dim;
  int query_tokens;
  int key_tokens;
};

// Fused: one (batch item, head) per task with the scores kept in cache (fused_attention.h,
// AVX-512 only). FusedBf16: the same with bfloat16 products, for bfloat16 models (AVX512-BF16;
// the float32 kernel where the CPU has none). AmxBf16: the same roundings on AMX tiles
// (amx_attention.h) for heads of 64; other widths as FusedBf16 where its products are faster
// than float32 FMAs, else in float32. OneDnn: oneDNN matmuls and softmax over all heads, a
// block of query rows at a time through `scores`. Auto: Fused where the CPU has AVX-512.
enum class AttentionKernel { Auto, Fused, FusedBf16, AmxBf16, OneDnn };

// The kernel for a model of this precision: for BF16 and Int8, AmxBf16 where the CPU has AMX,
// else FusedBf16 where its bfloat16 products are faster than float32 FMAs; else Auto. (Int8
// models keep cosine >= 0.999 with bfloat16 attention: vit_tiny_real 0.99956 on AMX.)
AttentionKernel attention_kernel_for(Precision precision);

// Floats of scratch multi_head_attention needs for the scores: none for the fused kernel; for
// the oneDNN one, a block of query rows of every head at a time, at most 2^21 floats (8 MiB)
// unless 16 rows take more.
int64_t attention_scratch_size(const AttentionShape& s, AttentionKernel kernel = AttentionKernel::Auto);

// out row t of batch b gets the heads concatenated:
// out[b * out_batch_stride + t * out_row_stride + h * head_dim + d].
void multi_head_attention(const MatmulRunner& mm, const AttentionShape& shape, HeadView q, HeadView k, HeadView v,
                          float* out, int64_t out_batch_stride, int64_t out_row_stride, float* scores,
                          AttentionKernel kernel = AttentionKernel::Auto);

}  // namespace vit

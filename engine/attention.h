// The attention core: softmax(Q K^T * scale) V per batch item and head.
#pragma once
#include <cstdint>

namespace vit {

// Row-major views into packed activations: row t of batch item b for head h starts at
// base + b * batch_stride + t * row_stride + h * head_dim.
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

// out row t of batch b gets the heads concatenated: out[b * out_batch_stride + t * out_row_stride + h * head_dim + d].
void multi_head_attention(const AttentionShape& shape, HeadView q, HeadView k, HeadView v, float* out,
                          int64_t out_batch_stride, int64_t out_row_stride);

}  // namespace vit

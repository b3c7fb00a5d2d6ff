// softmax(Q K^T * scale) V for one head at a time, fused so the scores never leave the cache:
// AVX-512 code chosen at run time. multi_head_attention uses it where the CPU has AVX-512.
#pragma once
#include <cstdint>

namespace vit {

bool fused_attention_available();        // AVX-512 F, BW and VL
bool fused_attention_bf16_available();   // and AVX512-BF16

// One head: q [Tq, hd], k and v [Tk, hd], out [Tq, hd], each row-major with its own row
// stride. work: fused_attention_work_floats(Tk, hd) floats, private to the calling thread.
// bf16_products (needs fused_attention_bf16_available(); even hd): Q, K, V and the softmax
// numerators rounded to bfloat16, products summed in float32 (for bfloat16 models: twice the
// multiply rate).
struct HeadMatrices {
  const float* q;
  int64_t q_stride;
  const float* k;
  int64_t k_stride;
  const float* v;
  int64_t v_stride;
  float* out;
  int64_t out_stride;
};
int64_t fused_attention_work_floats(int key_tokens, int head_dim);
void fused_attention_head(const HeadMatrices& m, int query_tokens, int key_tokens, int head_dim, float scale,
                          float* work, bool bf16_products = false);

}  // namespace vit

// softmax(Q K^T * scale) V for one head on AMX tiles (Intel Xeon 4th generation and later):
// Q, K, V and the softmax numerators rounded to bfloat16, products summed in float32, as the
// AVX512-BF16 kernel in fused_attention.h computes, at the tiles' multiply rate.
#pragma once
#include <cstdint>

#include "engine/ops/fused_attention.h"

namespace vit {

// AMX-BF16 on the CPU, and the kernel's permission to use the tile data (Linux grants it per
// process on request).
bool amx_attention_available();

// The head width the tiles are laid out for: 32 bfloat16 pairs fill a tile row.
constexpr int kAmxHeadDim = 64;

// Only where amx_attention_available() (which asks for the permission). work:
// amx_attention_work_floats(key_tokens) floats, private to the calling thread.
int64_t amx_attention_work_floats(int key_tokens);
void amx_attention_head(const HeadMatrices& m, int query_tokens, int key_tokens, float scale, float* work);

}  // namespace vit

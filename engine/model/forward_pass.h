// The steps of VitModel::forward and what they share: the model's parts, the token layout of
// one call and its activation buffers.
#pragma once
#include <cstdint>

#include "engine/ops/attention.h"
#include "engine/ops/matmul.h"
#include "engine/ops/op_times.h"
#include "engine/model/packed_linears.h"
#include "engine/model/scratch.h"
#include "engine/model/vit_config.h"
#include "engine/model/vit_weights.h"

namespace vit {

// The token sequence of one call: [class, distillation, registers..., patches...] per image.
struct TokenLayout {
  int batch, height, width;  // of the input pixels
  int grid_height, grid_width, patches;
  int prefix, tokens;  // tokens = prefix + patches
  int64_t rows() const { return static_cast<int64_t>(batch) * tokens; }
  int64_t patch_rows() const { return static_cast<int64_t>(batch) * patches; }
};

TokenLayout token_layout(const VitConfig& config, int batch, int height, int width);

// A buffer that LayerNorm or fc1 write and a GEMM reads, in the type that GEMM takes: bfloat16
// in bfloat16 models, int8 rows with their scales before the int8 layers of int8 models (the
// GEMM then skips converting its input; the values are those its conversion would make),
// float32 otherwise. Exactly one of f32, bf16 and s8 is set.
struct GemmActivations {
  float* f32 = nullptr;
  uint16_t* bf16 = nullptr;
  int8_t* s8 = nullptr;
  float* row_scales = nullptr;  // with s8
  float* int8_sums = nullptr;   // with s8 that a GEMM writes: its float32 sums
  LinearInput input() const {
    return s8 ? LinearInput(s8, row_scales) : bf16 ? LinearInput(bf16) : LinearInput(f32);
  }
  LinearOutput output() const {
    return s8 ? LinearOutput(s8, row_scales, int8_sums) : bf16 ? LinearOutput(bf16) : LinearOutput(f32);
  }
};

struct MapHeadBuffers {
  float *query, *kv, *attended, *scores, *normed, *hidden;
};

struct DistilledHeadBuffers {
  float *class_tokens, *dist_tokens, *dist_logits;
};

// Every activation buffer of one call, carved from its Scratch.
struct Activations {
  float* unfolded;                 // [patch rows, channels * patch * patch]
  float* patch_tokens;             // [patch rows, hidden]
  float* x;                        // [rows, hidden]: the residual stream
  GemmActivations normed;          // [rows, hidden]: LayerNorm's output for qkv
  GemmActivations mlp_input;       // [rows, hidden]: LayerNorm's output for fc1 (normed but in int8 models)
  float* qkv;                      // [rows, 3 * hidden]
  float* attended;                 // [rows, hidden]
  GemmActivations hidden;          // [rows, intermediate] (float32 for SwiGLU)
  float* gate_value;               // SwiGLU only: fc1's output [rows, 2 * intermediate]
  float* scores;                   // attention scratch (none for the fused kernels)
  float* pooled;                   // [batch, hidden]
  MapHeadBuffers map;              // map pooling only
  DistilledHeadBuffers distilled;  // distilled heads only
};

// What every step of one call reads. The buffers are written, so a ForwardPass belongs to one call.
struct ForwardPass {
  const VitConfig& config;
  const VitWeights& weights;
  const ModelLinears& linears;
  const MatmulRunner& mm;
  AttentionKernel attention_kernel;
  TokenLayout layout;
  Activations act;
  OpTimes* times;
};

// The buffers of a call with this layout, for a model of this precision (bfloat16: normed and
// hidden in bfloat16; int8: mlp_input and hidden in int8).
Activations carve_activations(Scratch& scratch, const VitConfig& config, const TokenLayout& layout,
                              Precision precision, AttentionKernel attention_kernel);
// The bytes those buffers take (what carve_activations needs a Scratch to hold).
size_t activation_bytes(const VitConfig& config, const TokenLayout& layout, Precision precision,
                        AttentionKernel attention_kernel);

// Embedding: act.x = [prefix tokens, patch embeddings] + position embeddings.
void embed_patches(const ForwardPass& f, const float* pixels);
void add_tokens_and_positions(const ForwardPass& f, ResampledPositions& resampled);

// LayerNorm over every token of act.x, in place (norm_pre and the final norm).
void normalize_tokens(const ForwardPass& f, const Floats& weight, const Floats& bias);

// One pre-norm transformer block on act.x.
void encoder_block(const ForwardPass& f, int layer);

// One vector per image into act.pooled (after fc_norm, if any); returns it.
const float* pool(const ForwardPass& f);

// logits: [batch, classes].
void classify(const ForwardPass& f, const float* pooled, float* logits);

// transformers' ViT pooler, tanh(dense(pooled)): [batch, pooler_size].
void dense_pooler(const ForwardPass& f, const float* pooled, float* out);

// CLIP's image_embeds, visual_projection(pooled): [batch, projection_dim].
void project_image(const ForwardPass& f, const float* pooled, float* out);

}  // namespace vit

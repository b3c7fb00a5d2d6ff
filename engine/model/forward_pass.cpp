#include "engine/model/forward_pass.h"

namespace vit {

namespace {

// normed, mlp_input and hidden: [rows, cols] in the type of the GEMM that reads them (int8 that
// a GEMM writes comes with the float32 buffer of that GEMM's sums).
GemmActivations take_gemm_activations(BufferCarver& carve, int64_t rows, int64_t cols, Precision type,
                                      bool written_by_gemm = false) {
  GemmActivations a;
  switch (type) {
    case Precision::BF16: a.bf16 = carve.take<uint16_t>(rows * cols); break;
    case Precision::Int8:
      a.s8 = carve.take<int8_t>(rows * cols);
      a.row_scales = carve.take<float>(rows);
      if (written_by_gemm) a.int8_sums = carve.take<float>(rows * cols);
      break;
    case Precision::F32: a.f32 = carve.take<float>(rows * cols); break;
  }
  return a;
}

MapHeadBuffers take_map_head(BufferCarver& carve, const VitConfig& c, const TokenLayout& t) {
  if (c.pooling != Pooling::Map) return {};
  const int64_t D = c.hidden_size, batch = t.batch;
  const AttentionShape pool_attention{t.batch, c.num_heads, c.head_dim(), 1, t.patches};
  MapHeadBuffers m;
  m.query = carve.take<float>(D);
  m.kv = carve.take<float>(t.rows() * 2 * D);
  m.attended = carve.take<float>(batch * D);
  m.scores = carve.take<float>(attention_scratch_size(pool_attention));
  m.normed = carve.take<float>(batch * D);
  m.hidden = carve.take<float>(batch * c.intermediate_size);
  return m;
}

DistilledHeadBuffers take_distilled_head(BufferCarver& carve, const VitConfig& c, const TokenLayout& t) {
  if (!c.distilled_head) return {};
  const int64_t D = c.hidden_size, batch = t.batch;
  return {carve.take<float>(batch * D), carve.take<float>(batch * D), carve.take<float>(batch * c.num_classes)};
}

// In int8 models qkv stays bfloat16 with float32 inputs, and a SwiGLU gate writes float32.
Activations place_activations(BufferCarver& carve, const VitConfig& c, const TokenLayout& t, Precision precision,
                              AttentionKernel attention_kernel) {
  const int64_t D = c.hidden_size, rows = t.rows(), patch_rows = t.patch_rows();
  const int64_t patch_len = static_cast<int64_t>(c.num_channels) * c.patch_size * c.patch_size;
  const AttentionShape self_attention{t.batch, c.num_heads, c.head_dim(), t.tokens, t.tokens};
  Activations a;
  a.unfolded = carve.take<float>(patch_rows * patch_len);
  a.patch_tokens = carve.take<float>(patch_rows * D);
  a.x = carve.take<float>(rows * D);
  a.normed = take_gemm_activations(carve, rows, D, precision == Precision::BF16 ? Precision::BF16 : Precision::F32);
  a.mlp_input = precision == Precision::Int8 ? take_gemm_activations(carve, rows, D, Precision::Int8) : a.normed;
  a.qkv = carve.take<float>(rows * 3 * D);
  a.attended = carve.take<float>(rows * D);
  a.hidden = take_gemm_activations(carve, rows, c.intermediate_size, c.swiglu ? Precision::F32 : precision, true);
  a.gate_value = c.swiglu ? carve.take<float>(rows * 2 * c.intermediate_size) : nullptr;
  a.scores = carve.take<float>(attention_scratch_size(self_attention, attention_kernel));
  a.pooled = carve.take<float>(t.batch * D);
  a.map = take_map_head(carve, c, t);
  a.distilled = take_distilled_head(carve, c, t);
  return a;
}

}  // namespace

TokenLayout token_layout(const VitConfig& c, int batch, int height, int width) {
  const int grid_height = height / c.patch_size, grid_width = width / c.patch_size;
  const int patches = grid_height * grid_width;
  return {batch, height, width, grid_height, grid_width, patches, c.prefix_tokens(), c.prefix_tokens() + patches};
}

Activations carve_activations(Scratch& scratch, const VitConfig& c, const TokenLayout& t, Precision precision,
                              AttentionKernel attention_kernel) {
  return scratch.carve([&](BufferCarver& carve) { return place_activations(carve, c, t, precision, attention_kernel); });
}

size_t activation_bytes(const VitConfig& c, const TokenLayout& t, Precision precision, AttentionKernel attention_kernel) {
  BufferCarver measure;
  place_activations(measure, c, t, precision, attention_kernel);
  return measure.used();
}

}  // namespace vit

// Embedding and transformer blocks: the steps of the forward pass that run on every token.
#include <algorithm>
#include <cstring>

#include "engine/model/forward_pass.h"
#include "engine/model/position_embedding.h"
#include "engine/ops/gated_activation.h"
#include "engine/ops/layer_norm.h"

namespace vit {

namespace {

// Each p x p patch as one row, channel-major like the conv weight.
void unfold_patches(const ForwardPass& f, const float* pixels) {
  const TokenLayout& t = f.layout;
  const int p = f.config.patch_size, C = f.config.num_channels;
  const int64_t patch_len = static_cast<int64_t>(C) * p * p;
#pragma omp parallel for schedule(static)
  for (int64_t bp = 0; bp < t.patch_rows(); ++bp) {
    const int64_t b = bp / t.patches, py = (bp % t.patches) / t.grid_width, px = bp % t.grid_width;
    float* dst = &f.act.unfolded[bp * patch_len];
    for (int ch = 0; ch < C; ++ch)
      for (int ky = 0; ky < p; ++ky) {
        const float* src = pixels + ((b * C + ch) * t.height + py * p + ky) * static_cast<int64_t>(t.width) + px * p;
        std::memcpy(dst + (ch * p + ky) * p, src, sizeof(float) * p);
      }
  }
}

// The position embeddings for this call's grid: the trained ones, or resampled (the model's
// PositionResample) when the grid differs. [covered prefix + patches, hidden]
const float* positions_for(const ForwardPass& f, ResampledPositions& resampled) {
  const VitConfig& c = f.config;
  const Floats& trained = f.weights.position_embeddings;
  const int gh = f.layout.grid_height, gw = f.layout.grid_width;
  if (gh == c.grid_height() && gw == c.grid_width()) return trained.data();
  if (resampled.grid_height != gh || resampled.grid_width != gw) {
    const int64_t covered_prefix = c.pos_embed_covers_prefix ? c.prefix_tokens() : 0;
    const int64_t prefix_floats = covered_prefix * c.hidden_size;
    const std::vector<float> grid = resample_position_grid(trained.data() + prefix_floats, c.hidden_size,
                                                           c.grid_height(), c.grid_width(), gh, gw,
                                                           c.position_resample);
    resampled.values.assign(trained.begin(), trained.begin() + prefix_floats);
    resampled.values.insert(resampled.values.end(), grid.begin(), grid.end());
    resampled.grid_height = gh;
    resampled.grid_width = gw;
  }
  return resampled.values.data();
}

// LayerNorm of act.x into y (act.normed or act.mlp_input).
void normalize_into(const ForwardPass& f, const GemmActivations& y, const Floats& weight, const Floats& bias) {
  OpZone zone(f.times, Op::LayerNorm);
  const VitConfig& c = f.config;
  const int64_t rows = f.layout.rows();
  if (y.s8)
    layer_norm(f.act.x, y.s8, y.row_scales, rows, c.hidden_size, weight.data(), bias.data(), c.layer_norm_eps);
  else if (y.bf16)
    layer_norm(f.act.x, y.bf16, rows, c.hidden_size, weight.data(), bias.data(), c.layer_norm_eps);
  else
    layer_norm(f.act.x, y.f32, rows, c.hidden_size, weight.data(), bias.data(), c.layer_norm_eps);
}

// act.attended = softmax(q k^T / sqrt(head_dim)) v over act.qkv, after qk_norm if the model has it.
void self_attention(const ForwardPass& f, const LayerWeights& w) {
  OpZone zone(f.times, Op::Attention);
  const VitConfig& c = f.config;
  const int64_t D = c.hidden_size, T = f.layout.tokens;
  const int hd = c.head_dim();
  float* const qkv = f.act.qkv;
  if (c.qk_norm) {
    layer_norm(qkv, qkv, f.layout.rows(), 3 * D, c.num_heads, hd, w.q_norm_weight.data(), w.q_norm_bias.data(),
               c.layer_norm_eps);
    layer_norm(qkv + D, qkv + D, f.layout.rows(), 3 * D, c.num_heads, hd, w.k_norm_weight.data(),
               w.k_norm_bias.data(), c.layer_norm_eps);
  }
  const AttentionShape shape{f.layout.batch, c.num_heads, hd, f.layout.tokens, f.layout.tokens};
  const int64_t qkv_batch = T * 3 * D;
  multi_head_attention(f.mm, shape, {qkv, qkv_batch, 3 * D}, {qkv + D, qkv_batch, 3 * D},
                       {qkv + 2 * D, qkv_batch, 3 * D}, f.act.attended, T * D, D, f.act.scores, f.attention_kernel);
}

const float* data_or_null(const Floats& v) { return v.empty() ? nullptr : v.data(); }

// act.hidden = act(fc1(act.mlp_input)); for SwiGLU, silu(gate) * value of fc1's two halves.
void mlp_hidden(const ForwardPass& f, const LayerLinears& linear) {
  const Activations& a = f.act;
  const int64_t rows = f.layout.rows();
  if (!f.config.swiglu) {
    run_linear(f.mm, rows, a.mlp_input.input(), linear.fc1, a.hidden.output(),
               activation_epilogue(f.config.activation));
    return;
  }
  run_linear(f.mm, rows, a.mlp_input.input(), linear.fc1, a.gate_value, Epilogue::None);
  swiglu_gate(a.gate_value, rows, f.config.intermediate_size, a.hidden.f32);
}

}  // namespace

void embed_patches(const ForwardPass& f, const float* pixels) {
  OpZone zone(f.times, Op::PatchEmbed);
  unfold_patches(f, pixels);
  run_linear(f.mm, f.layout.patch_rows(), f.act.unfolded, f.linears.patch, f.act.patch_tokens, Epilogue::None);
}

void add_tokens_and_positions(const ForwardPass& f, ResampledPositions& resampled) {
  OpZone zone(f.times, Op::Tokens);
  const VitConfig& c = f.config;
  const VitWeights& w = f.weights;
  const TokenLayout& t = f.layout;
  const int64_t D = c.hidden_size;
  const float* position = positions_for(f, resampled);
  const int64_t positioned = (c.pos_embed_covers_prefix ? t.tokens : t.patches) * D;
  for (int64_t b = 0; b < t.batch; ++b) {
    float* const seq = f.act.x + b * t.tokens * D;
    float* slot = seq;
    auto put = [&](const Floats& tokens, int count) { slot = std::copy_n(tokens.data(), count * D, slot); };
    if (c.class_token) put(w.class_token, 1);
    if (c.distillation_token) put(w.distillation_token, 1);
    if (c.register_tokens) put(w.register_tokens, c.register_tokens);
    std::copy_n(f.act.patch_tokens + b * t.patches * D, t.patches * D, slot);
    float* const first_positioned = c.pos_embed_covers_prefix ? seq : seq + t.prefix * D;
    for (int64_t i = 0; i < positioned; ++i) first_positioned[i] += position[i];
  }
}

void normalize_tokens(const ForwardPass& f, const Floats& weight, const Floats& bias) {
  OpZone zone(f.times, Op::LayerNorm);
  const VitConfig& c = f.config;
  layer_norm(f.act.x, f.act.x, f.layout.rows(), c.hidden_size, weight.data(), bias.data(), c.layer_norm_eps);
}

// x += ls1 * proj(attention(norm1(x))); x += ls2 * fc2(mlp_hidden(norm2(x))). Fused epilogues add
// the residual (and apply the layer scale) inside the GEMM.
void encoder_block(const ForwardPass& f, int layer) {
  const LayerWeights& w = f.weights.layers[layer];
  const LayerLinears& linear = f.linears.layers[layer];
  const Activations& a = f.act;
  const int64_t rows = f.layout.rows();
  normalize_into(f, a.normed, w.norm1_weight, w.norm1_bias);
  {
    OpZone zone(f.times, Op::QkvGemm);
    run_linear(f.mm, rows, a.normed.input(), linear.qkv, a.qkv, Epilogue::None);
  }
  self_attention(f, w);
  {
    OpZone zone(f.times, Op::ProjGemm);
    run_linear(f.mm, rows, a.attended, linear.proj, a.x, Epilogue::AddToOutput, data_or_null(w.layer_scale1));
  }
  normalize_into(f, a.mlp_input, w.norm2_weight, w.norm2_bias);
  {
    OpZone zone(f.times, Op::Fc1Gemm);
    mlp_hidden(f, linear);
  }
  {
    OpZone zone(f.times, Op::Fc2Gemm);
    run_linear(f.mm, rows, a.hidden.input(), linear.fc2, a.x, Epilogue::AddToOutput, data_or_null(w.layer_scale2));
  }
}

}  // namespace vit

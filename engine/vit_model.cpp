#include "engine/vit_model.h"

#include <algorithm>
#include <cstring>

#include "engine/attention.h"
#include "engine/layer_norm.h"
#include "engine/matmul.h"
#include "engine/position_embedding.h"
#include "formats/error.h"

namespace vit {

namespace {

PackedLinear stack_linears(const std::vector<const Floats*>& weights, const std::vector<const Floats*>& biases,
                           int inputs, int outputs_each) {
  PackedLinear packed;
  packed.inputs = inputs;
  packed.outputs = outputs_each * static_cast<int>(weights.size());
  for (const Floats* w : weights) packed.weight.insert(packed.weight.end(), w->begin(), w->end());
  if (!biases.empty() && !biases[0]->empty())
    for (const Floats* b : biases) packed.bias.insert(packed.bias.end(), b->begin(), b->end());
  return packed;
}

Epilogue activation_epilogue(Activation activation) {
  switch (activation) {
    case Activation::GeluErf: return Epilogue::GeluErf;
    case Activation::GeluTanh: return Epilogue::GeluTanh;
    case Activation::QuickGelu: return Epilogue::QuickGelu;
  }
  return Epilogue::GeluErf;
}

const float* data_or_null(const Floats& v) { return v.empty() ? nullptr : v.data(); }

// Scratch activations for one forward call, sized once and reused by every layer.
struct Scratch {
  std::vector<float> x, normed, qkv, attended, hidden;
  Scratch(int64_t rows, int64_t dim, int64_t mlp)
      : x(rows * dim), normed(rows * dim), qkv(rows * 3 * dim), attended(rows * dim), hidden(rows * mlp) {}
};

}  // namespace

VitModel::VitModel(VitConfig config, VitWeights weights)
    : config_(std::move(config)), weights_(std::move(weights)), matmul_(std::make_unique<MatmulRunner>()) {
  const int D = config_.hidden_size;
  for (const LayerWeights& l : weights_.layers)
    qkv_.push_back(stack_linears({&l.query_weight, &l.key_weight, &l.value_weight},
                                 {&l.query_bias, &l.key_bias, &l.value_bias}, D, D));
  if (config_.pooling == Pooling::Map) {
    const MapHeadWeights& m = weights_.map_head;
    map_kv_ = stack_linears({&m.key_weight, &m.value_weight}, {&m.key_bias, &m.value_bias}, D, D);
  }
}

VitModel::~VitModel() = default;
VitModel::VitModel(VitModel&&) noexcept = default;
VitModel& VitModel::operator=(VitModel&&) noexcept = default;

ForwardResult VitModel::forward(const float* pixels, int batch, int height, int width, unsigned outputs) const {
  const VitConfig& c = config_;
  const VitWeights& w = weights_;
  const int p = c.patch_size, C = c.num_channels, D = c.hidden_size, I = c.intermediate_size;
  if (batch <= 0) fail("forward", "batch must be positive");
  if (height <= 0 || width <= 0 || height % p != 0 || width % p != 0)
    fail("forward", "input size " + std::to_string(height) + "x" + std::to_string(width) +
                        " is not a positive multiple of the patch size " + std::to_string(p));
  if ((outputs & kLogits) && c.num_classes == 0) fail("forward", "this model has no classifier head, so no logits");
  const int gh = height / p, gw = width / p, patches = gh * gw;
  const int prefix = c.prefix_tokens(), T = prefix + patches;
  const int64_t M = static_cast<int64_t>(batch) * T;
  const MatmulRunner& mm = *matmul_;
  Scratch s(M, D, I);

  // 1. Patch embedding: unfold each p x p patch (channel-major, like the conv weight) and
  //    project it with one GEMM.
  const int64_t patch_len = static_cast<int64_t>(C) * p * p;
  std::vector<float> unfolded(static_cast<size_t>(batch) * patches * patch_len);
#pragma omp parallel for schedule(static)
  for (int64_t bp = 0; bp < static_cast<int64_t>(batch) * patches; ++bp) {
    const int64_t b = bp / patches, py = (bp % patches) / gw, px = bp % gw;
    float* dst = &unfolded[bp * patch_len];
    for (int ch = 0; ch < C; ++ch)
      for (int ky = 0; ky < p; ++ky) {
        const float* src = pixels + ((b * C + ch) * height + py * p + ky) * static_cast<int64_t>(width) + px * p;
        std::memcpy(dst + (ch * p + ky) * p, src, sizeof(float) * p);
      }
  }
  std::vector<float> patch_tokens(static_cast<size_t>(batch) * patches * D);
  mm.linear({static_cast<int64_t>(batch) * patches, patch_len, D}, unfolded.data(), w.patch_weight.data(),
            data_or_null(w.patch_bias), patch_tokens.data(), Epilogue::None);

  // 2. Position embeddings, resampled when the grid differs from the trained one.
  const int pos_prefix = c.pos_embed_covers_prefix ? prefix : 0;
  std::vector<float> pos(w.position_embeddings);
  if (gh != c.grid_height() || gw != c.grid_width()) {
    std::vector<float> grid = resample_position_grid(w.position_embeddings.data() + pos_prefix * D, D,
                                                     c.grid_height(), c.grid_width(), gh, gw);
    pos.resize(static_cast<size_t>(pos_prefix) * D);
    pos.insert(pos.end(), grid.begin(), grid.end());
  }

  // 3. Token sequence: [class, distillation, registers..., patches...] plus positions.
  for (int b = 0; b < batch; ++b) {
    float* seq = &s.x[static_cast<size_t>(b) * T * D];
    float* slot = seq;
    auto put_prefix = [&](const Floats& tokens, int count) {
      std::copy(tokens.begin(), tokens.begin() + static_cast<int64_t>(count) * D, slot);
      slot += static_cast<int64_t>(count) * D;
    };
    if (c.class_token) put_prefix(w.class_token, 1);
    if (c.distillation_token) put_prefix(w.distillation_token, 1);
    if (c.register_tokens) put_prefix(w.register_tokens, c.register_tokens);
    std::copy_n(&patch_tokens[static_cast<size_t>(b) * patches * D], static_cast<size_t>(patches) * D, slot);
    float* first_positioned = c.pos_embed_covers_prefix ? seq : seq + static_cast<int64_t>(prefix) * D;
    for (size_t i = 0; i < pos.size(); ++i) first_positioned[i] += pos[i];
  }
  if (c.norm_pre) layer_norm(s.x.data(), s.x.data(), M, D, w.norm_pre_weight.data(), w.norm_pre_bias.data(), c.layer_norm_eps);

  // 4. Pre-norm transformer blocks.
  const int hd = c.head_dim();
  const AttentionShape self_attention{batch, c.num_heads, hd, T, T};
  for (int i = 0; i < c.num_layers; ++i) {
    const LayerWeights& l = w.layers[i];
    layer_norm(s.x.data(), s.normed.data(), M, D, l.norm1_weight.data(), l.norm1_bias.data(), c.layer_norm_eps);
    mm.linear({M, D, 3 * D}, s.normed.data(), qkv_[i].weight.data(), data_or_null(qkv_[i].bias), s.qkv.data(),
              Epilogue::None);
    if (c.qk_norm) {
      layer_norm(s.qkv.data(), s.qkv.data(), M, 3 * D, c.num_heads, hd, l.q_norm_weight.data(),
                 l.q_norm_bias.data(), c.layer_norm_eps);
      layer_norm(s.qkv.data() + D, s.qkv.data() + D, M, 3 * D, c.num_heads, hd, l.k_norm_weight.data(),
                 l.k_norm_bias.data(), c.layer_norm_eps);
    }
    const int64_t qkv_batch = static_cast<int64_t>(T) * 3 * D;
    multi_head_attention(self_attention, {s.qkv.data(), qkv_batch, 3 * D}, {s.qkv.data() + D, qkv_batch, 3 * D},
                         {s.qkv.data() + 2 * D, qkv_batch, 3 * D}, s.attended.data(), static_cast<int64_t>(T) * D, D);
    mm.linear({M, D, D}, s.attended.data(), l.proj_weight.data(), l.proj_bias.data(), s.x.data(),
              Epilogue::AddToOutput, data_or_null(l.layer_scale1));
    layer_norm(s.x.data(), s.normed.data(), M, D, l.norm2_weight.data(), l.norm2_bias.data(), c.layer_norm_eps);
    mm.linear({M, D, I}, s.normed.data(), l.fc1_weight.data(), l.fc1_bias.data(), s.hidden.data(),
              activation_epilogue(c.activation));
    mm.linear({M, I, D}, s.hidden.data(), l.fc2_weight.data(), l.fc2_bias.data(), s.x.data(),
              Epilogue::AddToOutput, data_or_null(l.layer_scale2));
  }
  if (c.final_norm)
    layer_norm(s.x.data(), s.x.data(), M, D, w.final_norm_weight.data(), w.final_norm_bias.data(), c.layer_norm_eps);

  ForwardResult result;
  result.batch = batch;
  result.tokens = T;
  if (outputs & kFeatures) result.features = s.x;
  if (!(outputs & (kLogits | kPreLogits))) return result;

  // 5. Pooling to one vector per image.
  std::vector<float> pooled(static_cast<size_t>(batch) * D, 0.0f);
  const float* tokens = s.x.data();
  auto token_row = [&](int b, int t) { return tokens + (static_cast<int64_t>(b) * T + t) * D; };
  switch (c.pooling) {
    case Pooling::Token:
      for (int b = 0; b < batch; ++b) {
        std::copy_n(token_row(b, 0), D, &pooled[static_cast<size_t>(b) * D]);
        if (c.distillation_token)  // DeiT distilled: the mean of class and distillation tokens
          for (int d = 0; d < D; ++d) pooled[b * D + d] = (pooled[b * D + d] + token_row(b, 1)[d]) / 2.0f;
      }
      break;
    case Pooling::Avg:
    case Pooling::Max:
    case Pooling::AvgMax:
      for (int b = 0; b < batch; ++b)
        for (int d = 0; d < D; ++d) {
          double sum = 0.0;
          float max = token_row(b, prefix)[d];
          for (int t = prefix; t < T; ++t) {
            sum += token_row(b, t)[d];
            max = std::max(max, token_row(b, t)[d]);
          }
          const float mean = static_cast<float>(sum / patches);
          pooled[b * D + d] = c.pooling == Pooling::Avg ? mean : c.pooling == Pooling::Max ? max : 0.5f * (mean + max);
        }
      break;
    case Pooling::Map: {
      const MapHeadWeights& m = w.map_head;
      std::vector<float> query(D), kv(static_cast<size_t>(M) * 2 * D), attended(static_cast<size_t>(batch) * D);
      mm.linear({1, D, D}, m.latent.data(), m.query_weight.data(), m.query_bias.data(), query.data(), Epilogue::None);
      mm.linear({M, D, 2 * D}, tokens, map_kv_.weight.data(), data_or_null(map_kv_.bias), kv.data(), Epilogue::None);
      const int64_t kv_batch = static_cast<int64_t>(T) * 2 * D;
      const float* keys = kv.data() + static_cast<int64_t>(prefix) * 2 * D;  // attend to patch tokens only
      multi_head_attention({batch, c.num_heads, hd, 1, patches}, {query.data(), 0, D}, {keys, kv_batch, 2 * D},
                           {keys + D, kv_batch, 2 * D}, attended.data(), D, D);
      mm.linear({batch, D, D}, attended.data(), m.proj_weight.data(), m.proj_bias.data(), pooled.data(), Epilogue::None);
      std::vector<float> normed(pooled.size()), hidden(static_cast<size_t>(batch) * I);
      layer_norm(pooled.data(), normed.data(), batch, D, m.norm_weight.data(), m.norm_bias.data(), c.layer_norm_eps);
      mm.linear({batch, D, I}, normed.data(), m.fc1_weight.data(), m.fc1_bias.data(), hidden.data(),
                activation_epilogue(c.activation));
      mm.linear({batch, I, D}, hidden.data(), m.fc2_weight.data(), m.fc2_bias.data(), pooled.data(),
                Epilogue::AddToOutput);
      break;
    }
  }
  if (c.fc_norm)
    layer_norm(pooled.data(), pooled.data(), batch, D, w.fc_norm_weight.data(), w.fc_norm_bias.data(), c.layer_norm_eps);

  // 6. Classifier head(s).
  if (outputs & kLogits) {
    const int K = c.num_classes;
    result.logits.resize(static_cast<size_t>(batch) * K);
    if (!c.distillation_token) {
      mm.linear({batch, D, K}, pooled.data(), w.head_weight.data(), w.head_bias.data(), result.logits.data(),
                Epilogue::None);
    } else {
      std::vector<float> cls(static_cast<size_t>(batch) * D), dist(cls.size()), dist_logits(result.logits.size());
      for (int b = 0; b < batch; ++b) {
        std::copy_n(token_row(b, 0), D, &cls[static_cast<size_t>(b) * D]);
        std::copy_n(token_row(b, 1), D, &dist[static_cast<size_t>(b) * D]);
      }
      mm.linear({batch, D, K}, cls.data(), w.head_weight.data(), w.head_bias.data(), result.logits.data(), Epilogue::None);
      mm.linear({batch, D, K}, dist.data(), w.dist_head_weight.data(), w.dist_head_bias.data(), dist_logits.data(),
                Epilogue::None);
      for (size_t i = 0; i < result.logits.size(); ++i) result.logits[i] = (result.logits[i] + dist_logits[i]) / 2.0f;
    }
  }
  if (outputs & kPreLogits) result.pre_logits = std::move(pooled);
  return result;
}

}  // namespace vit

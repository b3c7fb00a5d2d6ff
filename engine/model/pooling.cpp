// Pooling the tokens to one vector per image: class token, average / max over the patch tokens,
// or timm's attention pool (map), then fc_norm when the model has it.
#include <algorithm>

#include "engine/model/forward_pass.h"
#include "engine/ops/layer_norm.h"

namespace vit {

namespace {

const float* token_row(const ForwardPass& f, int64_t b, int64_t t) {
  return f.act.x + (b * f.layout.tokens + t) * f.config.hidden_size;
}

// The class token; for distilled DeiT the mean of the class and distillation tokens (what
// timm's pre_logits gives).
void token_pool(const ForwardPass& f) {
  const int D = f.config.hidden_size;
  for (int64_t b = 0; b < f.layout.batch; ++b) {
    float* const pooled = f.act.pooled + b * D;
    std::copy_n(token_row(f, b, 0), D, pooled);
    if (f.config.distilled_head)
      for (int d = 0; d < D; ++d) pooled[d] = (pooled[d] + token_row(f, b, 1)[d]) / 2.0f;
  }
}

// Channel d of image b over its patch tokens (the prefix tokens excluded).
float patch_mean(const ForwardPass& f, int64_t b, int d) {
  double sum = 0.0;
  for (int64_t t = f.layout.prefix; t < f.layout.tokens; ++t) sum += token_row(f, b, t)[d];
  return static_cast<float>(sum / f.layout.patches);
}

float patch_max(const ForwardPass& f, int64_t b, int d) {
  float max = token_row(f, b, f.layout.prefix)[d];
  for (int64_t t = f.layout.prefix; t < f.layout.tokens; ++t) max = std::max(max, token_row(f, b, t)[d]);
  return max;
}

// pooled[b, d] = channel(f, b, d) for every image and channel.
template <class Channel>
void pool_channels(const ForwardPass& f, Channel channel) {
  const int D = f.config.hidden_size;
  for (int64_t b = 0; b < f.layout.batch; ++b)
    for (int d = 0; d < D; ++d) f.act.pooled[b * D + d] = channel(b, d);
}

void avg_pool(const ForwardPass& f) {
  pool_channels(f, [&](int64_t b, int d) { return patch_mean(f, b, d); });
}

void max_pool(const ForwardPass& f) {
  pool_channels(f, [&](int64_t b, int d) { return patch_max(f, b, d); });
}

void avgmax_pool(const ForwardPass& f) {
  pool_channels(f, [&](int64_t b, int d) { return 0.5f * (patch_mean(f, b, d) + patch_max(f, b, d)); });
}

// timm's AttentionPoolLatent: a learned latent query attends over the patch tokens, then
// pooled = proj(attended) + mlp(norm(proj(attended))).
void map_pool(const ForwardPass& f) {
  const VitConfig& c = f.config;
  const MapHeadWeights& w = f.weights.map_head;
  const MapHeadLinears& linear = f.linears.map;
  const MapHeadBuffers& m = f.act.map;
  const int64_t D = c.hidden_size, batch = f.layout.batch;
  run_linear(f.mm, 1, w.latent.data(), linear.query, m.query, Epilogue::None);
  run_linear(f.mm, f.layout.rows(), f.act.x, linear.kv, m.kv, Epilogue::None);
  const int64_t kv_batch = static_cast<int64_t>(f.layout.tokens) * 2 * D;
  const float* keys = m.kv + f.layout.prefix * 2 * D;  // attend to patch tokens only
  const AttentionShape shape{f.layout.batch, c.num_heads, c.head_dim(), 1, f.layout.patches};
  multi_head_attention(f.mm, shape, {m.query, 0, D}, {keys, kv_batch, 2 * D}, {keys + D, kv_batch, 2 * D},
                       m.attended, D, D, m.scores);
  run_linear(f.mm, batch, m.attended, linear.proj, f.act.pooled, Epilogue::None);
  layer_norm(f.act.pooled, m.normed, batch, D, w.norm_weight.data(), w.norm_bias.data(), c.layer_norm_eps);
  run_linear(f.mm, batch, m.normed, linear.fc1, m.hidden, activation_epilogue(c.activation));
  run_linear(f.mm, batch, m.hidden, linear.fc2, f.act.pooled, Epilogue::AddToOutput);
}

}  // namespace

const float* pool(const ForwardPass& f) {
  OpZone zone(f.times, Op::Pool);
  const VitConfig& c = f.config;
  switch (c.pooling) {
    case Pooling::Token: token_pool(f); break;
    case Pooling::Avg: avg_pool(f); break;
    case Pooling::Max: max_pool(f); break;
    case Pooling::AvgMax: avgmax_pool(f); break;
    case Pooling::Map: map_pool(f); break;
  }
  if (c.fc_norm)
    layer_norm(f.act.pooled, f.act.pooled, f.layout.batch, c.hidden_size, f.weights.fc_norm_weight.data(),
               f.weights.fc_norm_bias.data(), c.layer_norm_eps);
  return f.act.pooled;
}

}  // namespace vit

// The heads on the pooled vector: the classifier (one linear layer, or for distilled DeiT the
// mean of two, one on the class token and one on the distillation token), transformers' ViT
// pooler and CLIP's projection.
#include <algorithm>
#include <cmath>

#include "engine/model/forward_pass.h"

namespace vit {

namespace {

void distilled_heads(const ForwardPass& f, float* logits) {
  const DistilledHeadBuffers& h = f.act.distilled;
  const int64_t D = f.config.hidden_size, batch = f.layout.batch, classes = f.config.num_classes;
  for (int64_t b = 0; b < batch; ++b) {
    const float* image = f.act.x + b * f.layout.tokens * D;
    std::copy_n(image, D, h.class_tokens + b * D);
    std::copy_n(image + D, D, h.dist_tokens + b * D);
  }
  run_linear(f.mm, batch, h.class_tokens, f.linears.head, logits, Epilogue::None);
  run_linear(f.mm, batch, h.dist_tokens, f.linears.dist_head, h.dist_logits, Epilogue::None);
  for (int64_t i = 0; i < batch * classes; ++i) logits[i] = (logits[i] + h.dist_logits[i]) / 2.0f;
}

}  // namespace

void classify(const ForwardPass& f, const float* pooled, float* logits) {
  OpZone zone(f.times, Op::Head);
  if (f.config.distilled_head)
    distilled_heads(f, logits);
  else
    run_linear(f.mm, f.layout.batch, pooled, f.linears.head, logits, Epilogue::None);
}

void dense_pooler(const ForwardPass& f, const float* pooled, float* out) {
  OpZone zone(f.times, Op::Head);
  run_linear(f.mm, f.layout.batch, pooled, f.linears.pooler, out, Epilogue::None);
  const int64_t count = static_cast<int64_t>(f.layout.batch) * f.config.pooler_size;
  for (int64_t i = 0; i < count; ++i) out[i] = std::tanh(out[i]);
}

void project_image(const ForwardPass& f, const float* pooled, float* out) {
  OpZone zone(f.times, Op::Head);
  run_linear(f.mm, f.layout.batch, pooled, f.linears.projection, out, Epilogue::None);
}

}  // namespace vit

#include "bench/forward_flops.h"

namespace vit {

double forward_flops(const VitConfig& c, int batch, int height, int width) {
  const double p = c.patch_size, D = c.hidden_size, I = c.intermediate_size, K = c.num_classes;
  const double P = static_cast<double>(height / c.patch_size) * (width / c.patch_size);
  const double T = c.prefix_tokens() + P;
  const double patch_embed = 2 * P * (c.num_channels * p * p) * D;
  const double fc1_outputs = c.swiglu ? 2 * I : I;  // SwiGLU: gate and value halves
  const double layer =
      2 * T * D * 3 * D + 2 * T * T * D + 2 * T * T * D + 2 * T * D * D + 2 * T * D * fc1_outputs + 2 * T * I * D;
  double head = 2 * D * K * (c.distilled_head ? 2 : 1);
  if (c.pooler_output == PoolerOutput::DenseTanh) head += 2 * D * c.pooler_size;
  head += 2 * D * c.projection_dim;
  if (c.pooling == Pooling::Map)  // one latent query over the patch tokens, then an MLP
    head += 2 * T * D * 2 * D + 2 * P * D + 2 * P * D + 2 * D * D + 2 * D * I + 2 * I * D;
  double total = batch * (patch_embed + c.num_layers * layer + head);
  if (c.pooling == Pooling::Map) total += 2 * D * D;  // the latent's query projection, once per call
  return total;
}

}  // namespace vit

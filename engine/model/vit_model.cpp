#include "engine/model/vit_model.h"

#include <string>

#include "engine/model/forward_pass.h"
#include "engine/model/packed_cache.h"
#include "engine/model/scratch.h"
#include "formats/error.h"

namespace vit {

namespace {

void check_input(const VitConfig& c, int batch, int height, int width, unsigned outputs) {
  const int p = c.patch_size;
  if (batch <= 0) fail("forward", "batch must be positive");
  if (height <= 0 || width <= 0 || height % p != 0 || width % p != 0)
    fail("forward", "input size " + std::to_string(height) + "x" + std::to_string(width) +
                        " is not a positive multiple of the patch size " + std::to_string(p));
  if ((outputs & kLogits) && !has_output(c, kLogits)) fail("forward", "this model has no classifier head, so no logits");
  if ((outputs & kPoolerOutput) && !has_output(c, kPoolerOutput))
    fail("forward", "this model has no pooler, so no pooler_output");
  if ((outputs & kImageEmbeds) && !has_output(c, kImageEmbeds))
    fail("forward", "this model has no visual projection, so no image_embeds");
}

// The outputs computed from the pooled vector, as requested.
void pooled_outputs(const ForwardPass& f, const float* pooled, unsigned outputs, ForwardResult* result) {
  const VitConfig& c = f.config;
  const int64_t batch = f.layout.batch;
  if (outputs & kPreLogits) result->pre_logits.assign(pooled, pooled + batch * c.hidden_size);
  if (outputs & kLogits) {
    result->logits.resize(static_cast<size_t>(batch) * c.num_classes);
    classify(f, pooled, result->logits.data());
  }
  if ((outputs & kPoolerOutput) && c.pooler_output == PoolerOutput::PreLogits)
    result->pooler_output.assign(pooled, pooled + batch * c.hidden_size);
  if ((outputs & kPoolerOutput) && c.pooler_output == PoolerOutput::DenseTanh) {
    result->pooler_output.resize(static_cast<size_t>(batch) * c.pooler_size);
    dense_pooler(f, pooled, result->pooler_output.data());
  }
  if (outputs & kImageEmbeds) {
    result->image_embeds.resize(static_cast<size_t>(batch) * c.projection_dim);
    project_image(f, pooled, result->image_embeds.data());
  }
}

}  // namespace

bool has_output(const VitConfig& c, OutputKind kind) {
  switch (kind) {
    case kLogits: return c.num_classes > 0;
    case kPoolerOutput: return c.pooler_output != PoolerOutput::None;
    case kImageEmbeds: return c.projection_dim > 0;
    case kPreLogits:
    case kFeatures: return true;
  }
  return false;
}

int output_width(const VitConfig& c, OutputKind kind) {
  switch (kind) {
    case kLogits: return c.num_classes;
    case kPoolerOutput: return c.pooler_output == PoolerOutput::DenseTanh ? c.pooler_size : c.hidden_size;
    case kImageEmbeds: return c.projection_dim;
    case kPreLogits:
    case kFeatures: return c.hidden_size;
  }
  return 0;
}

VitModel::VitModel(VitConfig config, VitWeights weights, Precision precision, const MatrixSource& matrices,
                   PackedCache* cache, const LoadProgress& progress)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      precision_(precision),
      matmul_(std::make_unique<MatmulRunner>()),
      linears_(pack_linears(config_, weights_, precision, *matmul_, matrices, cache, progress)),
      scratch_(std::make_unique<ScratchPool>()) {
  packed_weights_from_cache_ = cache && cache->all_found();
  for (const WeightSlot& slot : weight_slots(config_, &weights_)) small_weight_bytes_ += sizeof(float) * slot.values->size();
}

namespace {

size_t linear_bytes(const MatmulRunner& mm, const PackedLinear& linear) {
  if (linear.weight.empty()) return 0;
  const PackedImage image = mm.image_of(linear.weight);
  return image.bytes.size + sizeof(float) * (image.scales.size() + linear.bias.size());
}

}  // namespace

size_t VitModel::weight_bytes() const {
  const ModelLinears& l = linears_;
  size_t bytes = 0;
  for (const PackedLinear* linear : {&l.patch, &l.map.query, &l.map.kv, &l.map.proj, &l.map.fc1, &l.map.fc2, &l.head,
                                     &l.dist_head, &l.pooler, &l.projection})
    bytes += linear_bytes(*matmul_, *linear);
  for (const LayerLinears& layer : l.layers)
    for (const PackedLinear* linear : {&layer.qkv, &layer.proj, &layer.fc1, &layer.fc2})
      bytes += linear_bytes(*matmul_, *linear);
  return bytes + small_weight_bytes_;
}

size_t VitModel::activation_bytes(int batch, int height, int width) const {
  return vit::activation_bytes(config_, token_layout(config_, batch, height, width), precision_,
                               attention_kernel_for(precision_));
}

VitModel::~VitModel() = default;
VitModel::VitModel(VitModel&&) noexcept = default;
VitModel& VitModel::operator=(VitModel&&) noexcept = default;

// Each call leases its own Scratch, so concurrent calls share only read-only model state.
ForwardResult VitModel::forward(const float* pixels, int batch, int height, int width, unsigned outputs,
                                OpTimes* times) const {
  const VitConfig& c = config_;
  check_input(c, batch, height, width, outputs);
  ScratchPool::Lease scratch = scratch_->take();
  const TokenLayout layout = token_layout(c, batch, height, width);
  // LayerNorm and fc1 write bfloat16 or int8 for the bfloat16 or int8 GEMMs that read them.
  const AttentionKernel attention_kernel = attention_kernel_for(precision_);
  const ForwardPass f{c,      weights_, linears_, *matmul_, attention_kernel,
                      layout, carve_activations(*scratch, c, layout, precision_, attention_kernel), times};

  embed_patches(f, pixels);
  add_tokens_and_positions(f, scratch->positions);
  if (c.norm_pre) normalize_tokens(f, weights_.norm_pre_weight, weights_.norm_pre_bias);
  for (int layer = 0; layer < c.num_layers; ++layer) encoder_block(f, layer);
  if (c.final_norm) normalize_tokens(f, weights_.final_norm_weight, weights_.final_norm_bias);

  ForwardResult result;
  result.batch = batch;
  result.tokens = layout.tokens;
  const int64_t hidden = c.hidden_size;
  if (outputs & kFeatures) result.features.assign(f.act.x, f.act.x + layout.rows() * hidden);
  if (outputs & (kLogits | kPreLogits | kPoolerOutput | kImageEmbeds)) pooled_outputs(f, pool(f), outputs, &result);
  return result;
}

}  // namespace vit

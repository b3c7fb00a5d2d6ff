#include "engine/model/vit_weights.h"

#include <set>

#include "formats/error.h"
#include "formats/text.h"

namespace vit {

namespace {

using Shape = std::vector<int64_t>;

void add_layer_slots(const VitConfig& c, const std::string& prefix, LayerWeights* w,
                     std::vector<WeightSlot>* slots) {
  const int64_t D = c.hidden_size, I = c.intermediate_size, hd = c.head_dim();
  auto add = [&](const std::string& name, Shape shape, Floats* values) {
    slots->push_back({prefix + name, std::move(shape), values});
  };
  auto add_int8_storable = [&](const std::string& name, Shape shape, Floats* values) {
    slots->push_back({prefix + name, std::move(shape), values, true});
  };
  add("layernorm_before.weight", {D}, &w->norm1_weight);
  add("layernorm_before.bias", {D}, &w->norm1_bias);
  add("attention.attention.query.weight", {D, D}, &w->query_weight);
  if (c.qkv_bias) add("attention.attention.query.bias", {D}, &w->query_bias);
  add("attention.attention.key.weight", {D, D}, &w->key_weight);
  if (c.qkv_bias) add("attention.attention.key.bias", {D}, &w->key_bias);
  add("attention.attention.value.weight", {D, D}, &w->value_weight);
  if (c.qkv_bias) add("attention.attention.value.bias", {D}, &w->value_bias);
  if (c.qk_norm) {
    add("attention.attention.q_norm.weight", {hd}, &w->q_norm_weight);
    add("attention.attention.q_norm.bias", {hd}, &w->q_norm_bias);
    add("attention.attention.k_norm.weight", {hd}, &w->k_norm_weight);
    add("attention.attention.k_norm.bias", {hd}, &w->k_norm_bias);
  }
  add_int8_storable("attention.output.dense.weight", {D, D}, &w->proj_weight);
  add("attention.output.dense.bias", {D}, &w->proj_bias);
  if (c.layer_scale) add("layer_scale1.lambda1", {D}, &w->layer_scale1);
  add("layernorm_after.weight", {D}, &w->norm2_weight);
  add("layernorm_after.bias", {D}, &w->norm2_bias);
  const int64_t fc1_rows = c.swiglu ? 2 * I : I;
  add_int8_storable("intermediate.dense.weight", {fc1_rows, D}, &w->fc1_weight);
  add("intermediate.dense.bias", {fc1_rows}, &w->fc1_bias);
  add_int8_storable("output.dense.weight", {D, I}, &w->fc2_weight);
  add("output.dense.bias", {D}, &w->fc2_bias);
  if (c.layer_scale) add("layer_scale2.lambda1", {D}, &w->layer_scale2);
}

void add_map_head_slots(const VitConfig& c, const std::string& prefix, MapHeadWeights* w,
                        std::vector<WeightSlot>* slots) {
  const int64_t D = c.hidden_size, I = c.intermediate_size;
  auto add = [&](const std::string& name, Shape shape, Floats* values) {
    slots->push_back({prefix + name, std::move(shape), values});
  };
  add("probe", {1, 1, D}, &w->latent);
  add("attention.query.weight", {D, D}, &w->query_weight);
  add("attention.query.bias", {D}, &w->query_bias);
  add("attention.key.weight", {D, D}, &w->key_weight);
  add("attention.key.bias", {D}, &w->key_bias);
  add("attention.value.weight", {D, D}, &w->value_weight);
  add("attention.value.bias", {D}, &w->value_bias);
  add("attention.output.dense.weight", {D, D}, &w->proj_weight);
  add("attention.output.dense.bias", {D}, &w->proj_bias);
  add("layernorm.weight", {D}, &w->norm_weight);
  add("layernorm.bias", {D}, &w->norm_bias);
  add("mlp.fc1.weight", {I, D}, &w->fc1_weight);
  add("mlp.fc1.bias", {I}, &w->fc1_bias);
  add("mlp.fc2.weight", {D, I}, &w->fc2_weight);
  add("mlp.fc2.bias", {D}, &w->fc2_bias);
}

}  // namespace

std::vector<WeightSlot> weight_slots(const VitConfig& c, VitWeights* w) {
  std::vector<WeightSlot> slots;
  const int64_t D = c.hidden_size, C = c.num_channels, p = c.patch_size;
  // transformers puts the backbone under "vit." only when a classifier sits beside it.
  const std::string base = c.num_classes > 0 ? "vit." : "";
  auto add = [&](const std::string& name, Shape shape, Floats* values) {
    slots.push_back({name, std::move(shape), values});
  };
  if (c.class_token) add(base + "embeddings.cls_token", {1, 1, D}, &w->class_token);
  if (c.distillation_token) add(base + "embeddings.distillation_token", {1, 1, D}, &w->distillation_token);
  if (c.register_tokens > 0)
    add(base + "embeddings.register_tokens", {1, c.register_tokens, D}, &w->register_tokens);
  add(base + "embeddings.position_embeddings", {1, c.position_embeddings(), D}, &w->position_embeddings);
  add(base + "embeddings.patch_embeddings.projection.weight", {D, C, p, p}, &w->patch_weight);
  if (c.patch_bias) add(base + "embeddings.patch_embeddings.projection.bias", {D}, &w->patch_bias);
  if (c.norm_pre) {
    add(base + "pre_layernorm.weight", {D}, &w->norm_pre_weight);
    add(base + "pre_layernorm.bias", {D}, &w->norm_pre_bias);
  }
  w->layers.resize(c.num_layers);
  for (int i = 0; i < c.num_layers; ++i)
    add_layer_slots(c, base + "encoder.layer." + std::to_string(i) + ".", &w->layers[i], &slots);
  if (c.final_norm) {
    add(base + "layernorm.weight", {D}, &w->final_norm_weight);
    add(base + "layernorm.bias", {D}, &w->final_norm_bias);
  }
  if (c.pooling == Pooling::Map) add_map_head_slots(c, base + "map_head.", &w->map_head, &slots);
  if (c.fc_norm) {
    add(base + "fc_norm.weight", {D}, &w->fc_norm_weight);
    add(base + "fc_norm.bias", {D}, &w->fc_norm_bias);
  }
  if (c.pooler_output == PoolerOutput::DenseTanh) {
    add(base + "pooler.dense.weight", {c.pooler_size, D}, &w->pooler_weight);
    add(base + "pooler.dense.bias", {c.pooler_size}, &w->pooler_bias);
  }
  if (c.projection_dim > 0) add("visual_projection.weight", {c.projection_dim, D}, &w->projection_weight);
  if (c.num_classes > 0) {
    add("classifier.weight", {c.num_classes, D}, &w->head_weight);
    add("classifier.bias", {c.num_classes}, &w->head_bias);
    if (c.distilled_head) {
      add("distillation_classifier.weight", {c.num_classes, D}, &w->dist_head_weight);
      add("distillation_classifier.bias", {c.num_classes}, &w->dist_head_bias);
    }
  }
  return slots;
}

std::string int8_scale_name(const std::string& weight_name) { return weight_name + "_scale"; }

Floats dequantize_rows(const StoredTensor& q, const StoredTensor& scale, const std::string& where) {
  if (q.dtype != DType::I8 || q.shape.size() != 2) fail(where, "an int8 matrix must be a 2-D I8 tensor");
  if (scale.dtype != DType::F32 || scale.shape != std::vector<int64_t>{q.shape[0]})
    fail(where, "int8 scales must be F32 with one value per row, shape [" + std::to_string(q.shape[0]) + "]");
  Floats values = q.to_float();
  const Floats scales = scale.to_float();
  const int64_t cols = q.shape[1];
  for (size_t i = 0; i < values.size(); ++i) values[i] *= scales[i / cols];
  return values;
}

bool is_packed_matrix(const WeightSlot& slot) {
  return slot.shape.size() >= 2 && slot.name != ".weight" && ends_with(slot.name, ".weight");
}

void check_tensor_count(const VitConfig& config, size_t tensors, const std::string& where) {
  // Every block has at least its q, k, v, proj, fc1 and fc2 matrices and two norm weights.
  constexpr size_t kMinTensorsPerBlock = 8;
  if (tensors < static_cast<size_t>(config.num_layers) * kMinTensorsPerBlock)
    fail(where, "holds " + std::to_string(tensors) + " tensors, too few for the config's " +
                    std::to_string(config.num_layers) + " blocks (at least " + std::to_string(kMinTensorsPerBlock) +
                    " each)");
}

VitWeights load_weights(const VitConfig& config,
                        const std::function<const StoredTensor*(const std::string&)>& find,
                        const std::vector<std::string>& all_names, const std::string& where, bool defer_matrices) {
  check_tensor_count(config, all_names.size(), where);
  VitWeights weights;
  std::set<std::string> expected;
  for (const WeightSlot& slot : weight_slots(config, &weights)) {
    expected.insert(slot.name);
    const StoredTensor* t = find(slot.name);
    if (!t) fail(where, "missing tensor \"" + slot.name + "\"");
    if (t->shape != slot.shape) {
      StoredTensor want;
      want.shape = slot.shape;
      fail(where, "tensor \"" + slot.name + "\" has shape " + t->shape_string() + ", the config implies " +
                      want.shape_string());
    }
    const bool int8 = config.int8_weights && slot.int8_storable;
    const StoredTensor* scale = nullptr;
    if (int8) {
      expected.insert(int8_scale_name(slot.name));
      scale = find(int8_scale_name(slot.name));
      if (!scale) fail(where, "missing tensor \"" + int8_scale_name(slot.name) + "\"");
      if (t->dtype != DType::I8) fail(where, "tensor \"" + slot.name + "\" must be I8 in an int8 folder");
    } else if (!is_floating(t->dtype)) {
      fail(where, "tensor \"" + slot.name + "\" is not floating point");
    }
    if (defer_matrices && is_packed_matrix(slot)) continue;
    *slot.values = int8 ? dequantize_rows(*t, *scale, where + ": " + slot.name) : t->to_float();
  }
  for (const std::string& name : all_names)
    if (!expected.count(name)) fail(where, "unexpected tensor \"" + name + "\" for this config");
  return weights;
}

}  // namespace vit

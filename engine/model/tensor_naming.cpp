#include "engine/model/tensor_naming.h"

#include <set>

#include "engine/model/vit_weights.h"
#include "formats/error.h"
#include "formats/text.h"

namespace vit {

namespace {

struct Rename {
  const char* from;  // an engine name, or its prefix up to a '.'
  const char* to;
  int leading_ones = 0;
};

constexpr const char* kBlockPrefix = "encoder.layer.";

// Inside a block ("encoder.layer.<i>." stripped).
constexpr Rename kDinov2Block[] = {{"layernorm_before", "norm1"},
                                   {"layernorm_after", "norm2"},
                                   {"intermediate.dense", "mlp.fc1"},
                                   {"output.dense", "mlp.fc2"}};
constexpr Rename kDinov2SwigluBlock[] = {{"layernorm_before", "norm1"},
                                         {"layernorm_after", "norm2"},
                                         {"intermediate.dense", "mlp.weights_in"},
                                         {"output.dense", "mlp.weights_out"}};
constexpr Rename kClipBlock[] = {{"layernorm_before", "layer_norm1"},
                                 {"attention.attention.query", "self_attn.q_proj"},
                                 {"attention.attention.key", "self_attn.k_proj"},
                                 {"attention.attention.value", "self_attn.v_proj"},
                                 {"attention.output.dense", "self_attn.out_proj"},
                                 {"layernorm_after", "layer_norm2"},
                                 {"intermediate.dense", "mlp.fc1"},
                                 {"output.dense", "mlp.fc2"}};
// Outside the blocks (CLIP and SigLIP; SigLIP's stacked attention in_proj is handled apart).
constexpr Rename kClipTop[] = {
    {"embeddings.cls_token", "vision_model.embeddings.class_embedding", 2},
    {"embeddings.position_embeddings", "vision_model.embeddings.position_embedding.weight", 1},
    {"embeddings.patch_embeddings.projection", "vision_model.embeddings.patch_embedding"},
    {"pre_layernorm", "vision_model.pre_layrnorm"},
    {"fc_norm", "vision_model.post_layernorm"},
    {"layernorm", "vision_model.post_layernorm"},
    {"map_head.probe", "vision_model.head.probe"},
    {"map_head.attention.output.dense", "vision_model.head.attention.out_proj"},
    {"map_head.layernorm", "vision_model.head.layernorm"},
    {"map_head.mlp", "vision_model.head.mlp"}};

// `name` with the first rule whose `from` is all of it or a '.'-separated prefix of it renamed.
template <size_t N>
StoredLocation renamed(const Rename (&rules)[N], const std::string& name) {
  for (const Rename& r : rules) {
    const std::string from = r.from;
    if (name == from) return {r.to, 0, 1, r.leading_ones};
    if (starts_with(name, from + ".")) return {r.to + name.substr(from.size()), 0, 1, 0};
  }
  return {name};
}

// "encoder.layer.<i>.<rest>" -> {"encoder.layer.<i>.", "<rest>"}; empty when not a block tensor.
std::pair<std::string, std::string> split_block(const std::string& name) {
  if (!starts_with(name, kBlockPrefix)) return {};
  const size_t dot = name.find('.', std::char_traits<char>::length(kBlockPrefix));
  if (dot == std::string::npos) return {};
  return {name.substr(0, dot + 1), name.substr(dot + 1)};
}

template <size_t N>
StoredLocation block_renamed(const Rename (&rules)[N], const std::string& name, const std::string& stored_prefix) {
  const auto [prefix, rest] = split_block(name);
  StoredLocation at = renamed(rules, rest);
  at.name = stored_prefix + prefix.substr(std::char_traits<char>::length(kBlockPrefix)) + at.name;
  return at;
}

// SigLIP's head runs torch.nn.MultiheadAttention: query, key and value stacked in in_proj.
StoredLocation siglip_head_attention(const std::string& name) {
  const char* parts[] = {"query", "key", "value"};
  for (int part = 0; part < 3; ++part)
    for (const char* kind : {"weight", "bias"})
      if (name == std::string("map_head.attention.") + parts[part] + "." + kind)
        return {std::string("vision_model.head.attention.in_proj_") + kind, part, 3, 0};
  return {};
}

StoredLocation clip_location(const std::string& name) {
  if (!split_block(name).first.empty()) return block_renamed(kClipBlock, name, "vision_model.encoder.layers.");
  StoredLocation head = siglip_head_attention(name);
  return head.name.empty() ? renamed(kClipTop, name) : head;
}

StoredLocation deit_location(const VitConfig& c, const std::string& name) {
  if (starts_with(name, "vit.")) return {"deit." + name.substr(4)};
  if (c.distilled_head && starts_with(name, "classifier.")) return {"cls_" + name};
  return {name};
}

StoredLocation dinov2_location(const VitConfig& c, const std::string& name) {
  if (split_block(name).first.empty()) return {name};
  return c.swiglu ? block_renamed(kDinov2SwigluBlock, name, kBlockPrefix)
                  : block_renamed(kDinov2Block, name, kBlockPrefix);
}

// A view of `t` as `at` describes it, or an Error naming `where`.
StoredTensor viewed(StoredTensor t, const StoredLocation& at, const std::string& where) {
  if (at.parts > 1) {
    if (t.shape.empty() || t.shape[0] % at.parts != 0)
      fail(where, "tensor \"" + at.name + "\" of shape " + t.shape_string() + " does not split into " +
                      std::to_string(at.parts) + " equal row blocks");
    t.shape[0] /= at.parts;
    t.offset += at.part * t.shape[0] * t.strides[0];
  }
  for (int i = 0; i < at.leading_ones; ++i) {
    t.shape.insert(t.shape.begin(), 1);
    t.strides.insert(t.strides.begin(), t.numel());
  }
  return t;
}

}  // namespace

StoredLocation stored_location(const VitConfig& config, const std::string& name) {
  switch (config.naming) {
    case TensorNaming::Vit: return {name};
    case TensorNaming::Deit: return deit_location(config, name);
    case TensorNaming::Dinov2: return dinov2_location(config, name);
    case TensorNaming::Clip:
    case TensorNaming::Siglip: return clip_location(name);
  }
  return {name};
}

bool unused_tensor(const VitConfig& config, const std::string& name) {
  if (ends_with(name, ".position_ids") || ends_with(name, "embeddings.mask_token")) return true;
  const bool contrastive = config.naming == TensorNaming::Clip || config.naming == TensorNaming::Siglip;
  return contrastive && (starts_with(name, "text_model.") || starts_with(name, "text_projection.") ||
                         name == "logit_scale" || name == "logit_bias");
}

std::map<std::string, StoredTensor> tensors_by_engine_name(const VitConfig& config, const NamedTensors& stored,
                                                           const std::string& where) {
  check_tensor_count(config, stored.size(), where);
  std::map<std::string, const StoredTensor*> by_name;
  for (const auto& [name, tensor] : stored) by_name[name] = &tensor;
  std::map<std::string, StoredTensor> result;
  std::set<std::string> used;
  VitWeights unused_weights;
  for (const WeightSlot& slot : weight_slots(config, &unused_weights)) {
    const StoredLocation at = stored_location(config, slot.name);
    const auto it = by_name.find(at.name);
    if (it == by_name.end()) fail(where, "missing tensor \"" + at.name + "\"");
    result[slot.name] = viewed(*it->second, at, where);
    used.insert(at.name);
  }
  for (const auto& [name, tensor] : stored)
    if (!used.count(name) && !unused_tensor(config, name)) result.emplace(name, tensor);
  return result;
}

}  // namespace vit

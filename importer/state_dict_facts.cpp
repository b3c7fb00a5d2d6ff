#include "importer/state_dict_facts.h"

#include <algorithm>

#include "formats/error.h"
#include "formats/text.h"

namespace vit {

namespace {

const StoredTensor* find(const SourceTensors& t, const std::string& name) {
  auto it = t.find(name);
  return it == t.end() ? nullptr : &it->second;
}

bool has(const SourceTensors& t, const std::string& name) { return t.count(name) > 0; }

int64_t dim(const StoredTensor* t, size_t i, size_t rank, const std::string& name, const std::string& where) {
  if (t->shape.size() != rank)
    fail(where, "\"" + name + "\" has shape " + t->shape_string() + ", expected rank " + std::to_string(rank));
  return t->shape[i];
}

}  // namespace

StateDictFacts read_state_dict_facts(const SourceTensors& t, const std::string& where) {
  StateDictFacts f;
  for (const auto& [name, tensor] : t) {
    if (starts_with(name, "patch_embed.backbone.")) f.hybrid_backbone = true;
    if (starts_with(name, "blocks.")) {
      size_t dot = name.find('.', 7);
      int index = -1;
      try {
        index = std::stoi(name.substr(7, dot - 7));
      } catch (const std::exception&) {
        fail(where, "tensor \"" + name + "\" has no block index");
      }
      if (index < 0 || index > 100000) fail(where, "tensor \"" + name + "\" has an absurd block index");
      f.num_layers = std::max(f.num_layers, index + 1);
    }
  }
  if (f.hybrid_backbone) return f;
  const StoredTensor* patch = find(t, "patch_embed.proj.weight");
  if (!patch) fail(where, "no \"patch_embed.proj.weight\": not a timm ViT state dict");
  f.hidden_size = static_cast<int>(dim(patch, 0, 4, "patch_embed.proj.weight", where));
  f.num_channels = static_cast<int>(patch->shape[1]);
  if (patch->shape[2] != patch->shape[3]) fail(where, "non-square patches " + patch->shape_string() + " are not supported");
  f.patch_size = static_cast<int>(patch->shape[2]);
  f.patch_bias = has(t, "patch_embed.proj.bias");

  f.class_token = has(t, "cls_token");
  f.distillation_token = has(t, "dist_token");
  if (const StoredTensor* reg = find(t, "reg_token")) f.register_tokens = static_cast<int>(dim(reg, 1, 3, "reg_token", where));
  const StoredTensor* pos = find(t, "pos_embed");
  if (!pos) fail(where, "no \"pos_embed\": ViTs without learned absolute position embeddings are not supported");
  f.position_rows = static_cast<int>(dim(pos, 1, 3, "pos_embed", where));

  f.qkv_bias = has(t, "blocks.0.attn.qkv.bias");
  f.qk_norm = has(t, "blocks.0.attn.q_norm.weight");
  f.layer_scale = has(t, "blocks.0.ls1.gamma");
  f.norm_pre = has(t, "norm_pre.weight");
  f.final_norm = has(t, "norm.weight");
  f.fc_norm = has(t, "fc_norm.weight");
  f.attention_pool = has(t, "attn_pool.latent");
  if (const StoredTensor* fc1 = find(t, "blocks.0.mlp.fc1.weight"))
    f.intermediate_size = static_cast<int>(dim(fc1, 0, 2, "blocks.0.mlp.fc1.weight", where));
  if (const StoredTensor* head = find(t, "head.weight"))
    f.num_classes = static_cast<int>(dim(head, 0, 2, "head.weight", where));
  return f;
}

}  // namespace vit

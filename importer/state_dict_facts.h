// What a timm ViT state dict tells about its architecture by itself.
#pragma once
#include <optional>
#include <string>

#include "importer/named_tensors.h"

namespace vit {

struct StateDictFacts {
  int patch_size = 0;
  int num_channels = 0;
  int hidden_size = 0;
  int num_layers = 0;
  int intermediate_size = 0;
  int num_classes = 0;     // 0 when there is no head
  int position_rows = 0;   // rows of pos_embed
  bool class_token = false;
  bool distillation_token = false;
  int register_tokens = 0;
  bool patch_bias = false;
  bool qkv_bias = false;
  bool qk_norm = false;
  bool layer_scale = false;
  bool norm_pre = false;
  bool final_norm = false;
  bool fc_norm = false;
  bool attention_pool = false;
  bool hybrid_backbone = false;  // patch_embed.backbone.* (ResNet-ViT hybrid)
  std::optional<int> map_heads_hint;  // none: weights cannot tell head counts

  int prefix_tokens() const { return (class_token ? 1 : 0) + (distillation_token ? 1 : 0) + register_tokens; }
};

// Reads the facts; throws Error(where: ...) when a tensor the reading needs has the wrong rank.
StateDictFacts read_state_dict_facts(const SourceTensors& tensors, const std::string& where);

}  // namespace vit

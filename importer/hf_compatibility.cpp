#include "importer/hf_compatibility.h"

namespace vit {

std::vector<std::string> hf_incompatibilities(const std::string& name, const VitConfig& c) {
  const std::string who = name.empty() ? "this model" : name;
  const std::string prefix = who + " is not supported in transformers because ";
  std::vector<std::string> reasons;
  auto add_if = [&](bool condition, const std::string& why) {
    if (condition) reasons.push_back(prefix + why);
  };
  // The script's own checks, in its order.
  add_if(c.fc_norm, "of the presence of fc_norm.");
  add_if(c.pooling == Pooling::Avg, "of use of global average pooling.");
  add_if(c.norm_pre, "it's a CLIP style ViT with norm_pre layer.");
  add_if(c.pooling == Pooling::Map, "it's a SigLIP style ViT with attn_pool.");
  add_if(c.layer_scale, "it uses a layer scale in its blocks.");
  // What the script lets through but transformers' ViT cannot load or reproduce.
  add_if(c.pooling == Pooling::Max || c.pooling == Pooling::AvgMax,
         std::string("of use of global ") + pooling_name(c.pooling) + " pooling.");
  add_if(!c.class_token, "it has no class token.");
  add_if(c.distillation_token, "it has a distillation token (DeiT distilled).");
  add_if(c.register_tokens > 0, "it has register tokens.");
  add_if(!c.pos_embed_covers_prefix, "its position embedding skips the prefix tokens (no_embed_class).");
  add_if(c.qk_norm, "it normalises queries and keys (qk_norm).");
  add_if(c.swiglu, "its MLP is a SwiGLU.");
  add_if(c.projection_dim > 0, "it has an image projection (CLIP).");
  add_if(!c.patch_bias, "its patch embedding has no bias.");
  add_if(!c.final_norm, "it has no final norm.");
  add_if(c.int8_weights, "its weights are stored as int8.");
  return reasons;
}

}  // namespace vit

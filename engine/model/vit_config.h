// Every architectural fact the engine needs to run a ViT, read from a config.json.
#pragma once
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace vit {

enum class Pooling { Token, Avg, Max, AvgMax, Map };
enum class Activation { GeluErf, GeluTanh, QuickGelu };

const char* pooling_name(Pooling pooling);        // "token", "avg", "max", "avgmax", "map"
const char* activation_name(Activation activation);  // "gelu", "gelu_pytorch_tanh", "quick_gelu"

struct VitConfig {
  int num_channels = 3;
  int image_height = 224;  // the input size the position embeddings were trained for
  int image_width = 224;
  int patch_size = 16;
  int hidden_size = 768;
  int num_layers = 12;
  int num_heads = 12;
  int intermediate_size = 3072;
  int num_classes = 0;  // 0: no head, logits unavailable
  float layer_norm_eps = 1e-6f;
  Activation activation = Activation::GeluErf;

  bool class_token = true;
  bool distillation_token = false;  // DeiT distilled: second head on token 1, outputs averaged
  int register_tokens = 0;
  bool pos_embed_covers_prefix = true;  // false: timm no_embed_class (patches only)

  bool patch_bias = true;
  bool qkv_bias = true;
  bool qk_norm = false;
  bool layer_scale = false;
  bool norm_pre = false;    // CLIP: LayerNorm after the position embedding
  bool final_norm = true;   // LayerNorm over all tokens after the blocks
  bool fc_norm = false;     // LayerNorm after pooling
  Pooling pooling = Pooling::Token;
  // The block matrices that int8 models run in int8 are stored as int8 with per-row scales
  // ("weights_dtype": "int8"; see WeightSlot::int8_storable).
  bool int8_weights = false;

  std::map<int, std::string> id2label;

  int prefix_tokens() const { return (class_token ? 1 : 0) + (distillation_token ? 1 : 0) + register_tokens; }
  int head_dim() const { return hidden_size / num_heads; }
  int grid_height() const { return image_height / patch_size; }
  int grid_width() const { return image_width / patch_size; }
  int position_embeddings() const {
    return grid_height() * grid_width() + (pos_embed_covers_prefix ? prefix_tokens() : 0);
  }
  // Throws Error(where: ...) when the numbers are inconsistent (e.g. heads do not divide width).
  void validate(const std::string& where) const;
};

// Reads a config.json written for transformers' ViT ("model_type": "vit") or for this engine
// ("model_type": "vitcpp"). Throws Error naming `where` on missing or unsupported values.
VitConfig config_from_json(const nlohmann::json& json, const std::string& where);

}  // namespace vit

// Every architectural fact the engine needs to run a ViT, read from a config.json.
#pragma once
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace vit {

enum class Pooling { Token, Avg, Max, AvgMax, Map };
enum class Activation { GeluErf, GeluTanh, QuickGelu };
// What the model calls its pooler_output: none, the pooled vector itself (DINOv2, CLIP, SigLIP),
// or transformers' ViT/DeiT pooler, tanh(dense(class token)).
enum class PoolerOutput { None, PreLogits, DenseTanh };
// How position embeddings follow a grid other than the trained one: timm's resample
// (antialiased bicubic, a = -0.5) or transformers' interpolate (torch bicubic, a = -0.75,
// align_corners=False, no antialias, edge samples repeated).
enum class PositionResample { Antialiased, TorchBicubic };
// Whose tensor names the weights file uses (the engine's own are transformers' ViT names).
enum class TensorNaming { Vit, Deit, Dinov2, Clip, Siglip };

const char* pooling_name(Pooling pooling);        // "token", "avg", "max", "avgmax", "map"
const char* activation_name(Activation activation);  // "gelu", "gelu_pytorch_tanh", "quick_gelu"
const char* pooler_output_name(PoolerOutput pooler);  // "none", "pre_logits", "dense_tanh"
const char* position_resample_name(PositionResample resample);  // "antialiased", "torch_bicubic"

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
  bool distillation_token = false;  // DeiT: a second prefix token
  bool distilled_head = false;      // DeiT distilled: a second head on token 1, outputs averaged
  int register_tokens = 0;
  bool pos_embed_covers_prefix = true;  // false: timm no_embed_class (patches only)

  bool patch_bias = true;
  bool qkv_bias = true;
  bool qk_norm = false;
  bool layer_scale = false;
  bool swiglu = false;  // fc1 gives [gate, value] (2 x intermediate); hidden = silu(gate) * value
  bool norm_pre = false;    // CLIP: LayerNorm after the position embedding
  bool final_norm = true;   // LayerNorm over all tokens after the blocks
  bool fc_norm = false;     // LayerNorm after pooling
  Pooling pooling = Pooling::Token;
  PoolerOutput pooler_output = PoolerOutput::None;
  int pooler_size = 0;     // DenseTanh: outputs of the pooler's dense layer
  int projection_dim = 0;  // CLIP: visual_projection [projection_dim, hidden] gives image_embeds
  PositionResample position_resample = PositionResample::Antialiased;
  TensorNaming naming = TensorNaming::Vit;
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

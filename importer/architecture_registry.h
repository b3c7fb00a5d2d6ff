// What a timm VisionTransformer-family architecture name implies: the constructor arguments timm
// passes (the entrypoint's model_args over VisionTransformer's defaults) and the default
// pretrained_cfg, read from models/timm_architectures.json. Every field is optional so that
// "not known" differs from "timm's default".
#pragma once
#include <array>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vit {

// A timm argument that may be Python None: nullopt = not known; an engaged empty optional = None.
template <class T>
using TimmNullable = std::optional<std::optional<T>>;

// The timm PretrainedCfg fields the importer uses.
struct TimmPretrainedCfg {
  std::optional<std::string> tag;
  std::optional<std::array<int, 3>> input_size;  // C, H, W
  std::optional<bool> fixed_input_size;
  std::optional<std::string> interpolation;  // "bicubic", "bilinear", ...
  std::optional<double> crop_pct;
  std::optional<std::string> crop_mode;  // "center", "squash", "border"
  std::optional<std::vector<double>> mean;
  std::optional<std::vector<double>> std;
  std::optional<int> num_classes;
};

struct TimmArchArgs {
  std::string name;         // the architecture name looked up
  std::string source;       // "registry", "alias" (deprecated timm name) or "pattern"
  bool inferred = false;    // true: from the vit_<size>_patch<P>_... naming pattern, not a listed name
  std::vector<std::string> inferred_unknown_parts;  // name parts the pattern could not interpret
  std::optional<std::string> alias_of;  // "arch.tag" a deprecated name stands for
  std::optional<std::string> module;    // timm module: vision_transformer, deit, vision_transformer_hybrid

  // VisionTransformer.__init__ arguments (timm names).
  std::optional<std::array<int, 2>> img_size;  // H, W
  std::optional<std::array<int, 2>> patch_size;
  std::optional<int> in_chans;
  std::optional<int> num_classes;
  std::optional<std::string> global_pool;  // "token", "avg", "avgmax", "max", "map", "prr", ""
  std::optional<int> embed_dim;
  std::optional<int> depth;
  std::optional<int> num_heads;
  std::optional<double> mlp_ratio;
  std::optional<bool> qkv_bias;
  std::optional<bool> qk_norm;
  std::optional<bool> proj_bias;
  std::optional<bool> scale_attn_norm;
  std::optional<bool> scale_mlp_norm;
  TimmNullable<double> init_values;  // not None: LayerScale (ls1/ls2 gammas) in every block
  std::optional<bool> class_token;
  std::optional<std::string> pos_embed;  // "learn", "none" or ""
  std::optional<bool> no_embed_class;
  std::optional<int> reg_tokens;
  std::optional<bool> pre_norm;  // norm_pre after the position embedding (CLIP)
  std::optional<bool> final_norm;
  TimmNullable<bool> fc_norm;  // None: on iff global_pool is avg/avgmax/max
  std::optional<bool> pool_include_prefix;
  std::optional<bool> dynamic_img_size;
  std::optional<bool> dynamic_img_pad;
  std::optional<std::string> act_layer;   // timm name: "gelu", "quick_gelu", "gelu_tanh", "silu", ...
  std::optional<std::string> norm_layer;  // "layernorm", "rmsnorm"
  std::optional<double> norm_eps;         // eps of every norm_layer instance
  TimmNullable<std::string> embed_norm_layer;
  std::optional<std::string> embed_layer;  // "PatchEmbed"; "HybridEmbed" for CNN-stem hybrids
  std::optional<std::string> block_fn;     // "Block"; others (ParallelScalingBlock, ...) differ
  std::optional<std::string> mlp_layer;    // "Mlp"; others (SwiGLU, ...) differ
  std::optional<std::string> attn_layer;   // "Attention"; others ("diff", ...) differ

  // Implied by the entrypoint rather than passed as a kwarg.
  std::optional<bool> distilled;  // DeiT VisionTransformerDistilled: dist token + head_dist
  std::optional<bool> hybrid;     // CNN stem (vit_*_r*_*, vit_*_resnet*): not a plain ViT
  std::optional<std::string> hybrid_backbone;

  TimmPretrainedCfg pretrained_cfg;
  std::optional<std::string> hf_image_processor;  // "ViTImageProcessor" or "DeiTImageProcessor"

  // True once img_size came from model_args (the entrypoint's or the checkpoint's): timm then
  // ignores pretrained_cfg.input_size for it.
  bool img_size_explicit = false;

  // Derived the way timm derives them; nullopt while an input is unknown.
  std::optional<bool> uses_fc_norm() const;        // fc_norm, with None resolved from global_pool
  std::optional<bool> has_norm() const;            // model.norm is a norm (final_norm && !fc_norm)
  std::optional<bool> has_fc_norm() const;         // model.fc_norm is a norm (final_norm && fc_norm)
  std::optional<bool> layer_scale() const;         // init_values is not None
  std::optional<bool> patch_bias() const;          // PatchEmbed conv bias = !pre_norm
  std::optional<int> num_prefix_tokens() const;    // class + reg tokens; 2 (cls, dist) if distilled
  std::optional<int> mlp_hidden() const;           // int(embed_dim * mlp_ratio)
};

// Where `cmake --install` puts the models/ data, relative to the install prefix.
constexpr const char* kInstalledModelsDir = "share/vitcpp/models";
// The models/ data folder: $VITCPP_MODELS_DIR when set; else, for an installed tool,
// <prefix>/share/vitcpp/models (found from the running executable, bin/ beside share/); else
// the source tree's models/ that the build was configured from.
std::string models_dir();

// Exact timm names (and timm's deprecated aliases) from the registry; otherwise, for a name
// following vit_<size>_patch<P>[_..._<res>], size-implied embed_dim/depth/num_heads/mlp_ratio,
// the patch size and (if the name ends in a number) the image size, with inferred = true and
// the other parts listed in inferred_unknown_parts. nullopt for anything else.
std::optional<TimmArchArgs> lookup_timm_architecture(const std::string& name);

// Overlays timm create_model kwargs (config.json "model_args", train args.model_kwargs).
// Throws Error naming the key for an unknown key that could change the network or a value of
// the wrong type; drop rates and other training-only keys are ignored.
TimmArchArgs apply_model_args(TimmArchArgs base, const nlohmann::json& model_args);

// Replaces the pretrained_cfg as timm does when a checkpoint brings its own (PretrainedCfg
// defaults for missing fields), then re-derives what timm takes from it: num_classes,
// in_chans, and img_size when fixed_input_size (unless img_size_explicit). Call before
// apply_model_args.
TimmArchArgs apply_pretrained_cfg(TimmArchArgs base, const nlohmann::json& pretrained_cfg);

// A timm config.json (save_for_hf layout, or the legacy flat one) as
// timm.create_model('local-dir:...') resolves it: lookup(architecture), its pretrained_cfg with
// the top-level num_classes, then model_args. Throws Error for an unknown architecture.
TimmArchArgs resolve_timm_config(const nlohmann::json& config);

}  // namespace vit

#include "importer/architecture.h"

#include <cmath>
#include <sstream>

#include "formats/error.h"

namespace vit {

namespace {

template <typename T>
std::string show(const T& v) {
  std::ostringstream s;
  s << std::boolalpha << v;
  return s.str();
}

std::string show(const std::array<int, 2>& v) { return std::to_string(v[0]) + "x" + std::to_string(v[1]); }

// Throws when a known architecture fact disagrees with the weights.
template <typename A, typename W>
void agree(const std::optional<A>& arch_value, const W& weights_value, const char* what, const std::string& name,
           const std::string& where) {
  if (arch_value && static_cast<W>(*arch_value) != weights_value)
    fail(where, "architecture " + (name.empty() ? std::string("config") : "'" + name + "'") + " has " + what + " = " +
                    show(*arch_value) + " but the weights have " + show(weights_value) +
                    " (pass --timm-config or explicit overrides for checkpoints with other dimensions)");
}

bool model_args_set(const ArchitectureInputs& in, const char* key) {
  auto has = [&](const std::optional<nlohmann::json>& j) { return j && j->is_object() && j->contains(key); };
  if (in.timm_config && in.timm_config->contains("model_args") && has((*in.timm_config)["model_args"])) return true;
  return has(in.checkpoint_model_kwargs);
}

template <typename T>
void apply_override(std::optional<T>* arch_value, const std::optional<T>& override_value, const char* key,
                    const ArchitectureInputs& in, const std::string& where) {
  if (!override_value) return;
  if (*arch_value && model_args_set(in, key) && !(**arch_value == *override_value))
    fail(where, std::string("--") + key + " " + show(*override_value) + " conflicts with the checkpoint's own " + key +
                    " = " + show(**arch_value));
  *arch_value = override_value;
}

TimmArchArgs initial_args(const ArchitectureInputs& in, const std::string& where, std::vector<std::string>* notes) {
  if (in.timm_config) {
    const std::string config_arch = in.timm_config->value("architecture", "");
    if (!in.vit_name.empty() && !config_arch.empty() && in.vit_name != config_arch)
      fail(where, "--vit_name " + in.vit_name + " conflicts with architecture \"" + config_arch + "\" in " +
                      in.timm_config_path);
    notes->push_back("architecture from " + in.timm_config_path);
    return resolve_timm_config(*in.timm_config);
  }
  std::string name = in.vit_name.empty() ? in.checkpoint_arch : in.vit_name;
  if (!in.vit_name.empty() && !in.checkpoint_arch.empty() && in.vit_name != in.checkpoint_arch)
    fail(where, "--vit_name " + in.vit_name + " conflicts with the checkpoint's arch \"" + in.checkpoint_arch + "\"");
  TimmArchArgs args;
  if (!name.empty()) {
    std::optional<TimmArchArgs> found = lookup_timm_architecture(name);
    if (!found) fail(where, "unknown timm architecture \"" + name + "\"");
    args = *found;
    notes->push_back("architecture '" + name + "' from the registry" + (args.inferred ? " (inferred from its name)" : ""));
  }
  if (in.checkpoint_model_kwargs) {
    args = apply_model_args(args, *in.checkpoint_model_kwargs);
    notes->push_back("model_kwargs from the checkpoint's training args");
  }
  return args;
}

void refuse_unsupported(const TimmArchArgs& a, const StateDictFacts& f, const std::string& where) {
  const std::string who = a.name.empty() ? "this checkpoint" : a.name;
  if ((a.hybrid && *a.hybrid) || f.hybrid_backbone || (a.embed_layer && *a.embed_layer != "PatchEmbed"))
    fail(where, who + " is not supported because it is a hybrid ResNet-ViT (CNN patch embedding)");
  auto refuse_if = [&](bool condition, const std::string& what) {
    if (condition) fail(where, who + " is not supported: " + what);
  };
  refuse_if(a.block_fn && *a.block_fn != "Block", "block type " + a.block_fn.value_or(""));
  refuse_if(a.mlp_layer && *a.mlp_layer != "Mlp", "MLP type " + a.mlp_layer.value_or(""));
  refuse_if(a.attn_layer && *a.attn_layer != "Attention", "attention type " + a.attn_layer.value_or(""));
  refuse_if(a.norm_layer && *a.norm_layer != "layernorm", "norm layer " + a.norm_layer.value_or(""));
  refuse_if(a.pos_embed && *a.pos_embed != "learn", "position embedding \"" + a.pos_embed.value_or("") + "\"");
  refuse_if(a.proj_bias && !*a.proj_bias, "projections without bias (proj_bias=False)");
  refuse_if((a.scale_attn_norm && *a.scale_attn_norm) || (a.scale_mlp_norm && *a.scale_mlp_norm),
            "extra norms inside attention/MLP (scale_attn_norm / scale_mlp_norm)");
  refuse_if(a.embed_norm_layer && a.embed_norm_layer->has_value(), "a norm inside the patch embedding");
  refuse_if(a.dynamic_img_pad && *a.dynamic_img_pad, "dynamic_img_pad");
  refuse_if(a.pool_include_prefix && *a.pool_include_prefix, "pool_include_prefix=True");
}

Pooling pooling_from(const std::string& pool, const std::string& where) {
  if (pool == "token") return Pooling::Token;
  if (pool == "avg") return Pooling::Avg;
  if (pool == "max") return Pooling::Max;
  if (pool == "avgmax") return Pooling::AvgMax;
  if (pool == "map") return Pooling::Map;
  fail(where, "global_pool \"" + pool + "\" is not supported (token, avg, max, avgmax and map are)");
}

Activation activation_from(const std::string& act, const std::string& where) {
  if (act == "gelu") return Activation::GeluErf;
  if (act == "gelu_tanh") return Activation::GeluTanh;
  if (act == "quick_gelu") return Activation::QuickGelu;
  fail(where, "activation \"" + act + "\" is not supported (gelu, gelu_tanh and quick_gelu are)");
}

}  // namespace

ResolvedArchitecture resolve_architecture(const StateDictFacts& f, const ArchitectureInputs& in,
                                          const std::string& where) {
  ResolvedArchitecture r;
  TimmArchArgs a = initial_args(in, where, &r.notes);
  r.name = a.name;
  const ArchitectureOverrides& o = in.overrides;
  apply_override(&a.num_heads, o.num_heads, "num_heads", in, where);
  apply_override(&a.norm_eps, o.layer_norm_eps, "norm_eps", in, where);
  apply_override(&a.global_pool, o.global_pool, "global_pool", in, where);
  apply_override(&a.act_layer, o.act_layer, "act_layer", in, where);
  if (o.image_size) {
    std::optional<std::array<int, 2>> size = std::array<int, 2>{*o.image_size, *o.image_size};
    apply_override(&a.img_size, size, "img_size", in, where);
  }
  refuse_unsupported(a, f, where);

  // What the weights say must match what the architecture says.
  const std::string& n = a.name;
  agree(a.embed_dim, f.hidden_size, "embed_dim", n, where);
  agree(a.depth, f.num_layers, "depth", n, where);
  if (a.patch_size) {
    if ((*a.patch_size)[0] != (*a.patch_size)[1]) fail(where, "non-square patches are not supported");
    agree(std::optional<int>((*a.patch_size)[0]), f.patch_size, "patch_size", n, where);
  }
  agree(a.in_chans, f.num_channels, "in_chans", n, where);
  agree(a.mlp_hidden(), f.intermediate_size, "MLP hidden size", n, where);
  if (in.timm_config) agree(a.num_classes, f.num_classes, "num_classes", n, where);  // else only a default
  agree(a.class_token, f.class_token, "class_token", n, where);
  agree(a.reg_tokens, f.register_tokens, "reg_tokens", n, where);
  agree(a.distilled, f.distillation_token, "a distillation token", n, where);
  agree(a.qkv_bias, f.qkv_bias, "qkv_bias", n, where);
  agree(a.qk_norm, f.qk_norm, "qk_norm", n, where);
  agree(a.layer_scale(), f.layer_scale, "layer scale", n, where);
  agree(a.pre_norm, f.norm_pre, "norm_pre", n, where);
  agree(a.has_norm(), f.final_norm, "a final norm", n, where);
  agree(a.has_fc_norm(), f.fc_norm, "fc_norm", n, where);
  agree(a.patch_bias(), f.patch_bias, "patch embedding bias", n, where);
  if (a.global_pool) agree(std::optional<bool>(*a.global_pool == "map"), f.attention_pool, "an attention-pool head", n, where);

  VitConfig& c = r.config;
  c.num_channels = f.num_channels;
  c.patch_size = f.patch_size;
  c.hidden_size = f.hidden_size;
  c.num_layers = f.num_layers;
  c.intermediate_size = f.intermediate_size;
  c.num_classes = f.num_classes;
  c.class_token = f.class_token;
  c.distillation_token = f.distillation_token;
  c.distilled_head = f.distillation_token && f.num_classes > 0;  // timm's distilled models average both heads
  c.register_tokens = f.register_tokens;
  c.patch_bias = f.patch_bias;
  c.qkv_bias = f.qkv_bias;
  c.qk_norm = f.qk_norm;
  c.layer_scale = f.layer_scale;
  c.norm_pre = f.norm_pre;
  c.final_norm = f.final_norm;
  c.fc_norm = f.fc_norm;
  if (!a.num_heads)
    fail(where, "the number of attention heads is unknown: name the architecture (--vit_name) or pass --num-heads");
  c.num_heads = *a.num_heads;
  if (a.norm_eps) {
    c.layer_norm_eps = static_cast<float>(*a.norm_eps);
  } else {
    c.layer_norm_eps = 1e-6f;
    r.notes.push_back("LayerNorm eps unknown: using timm's default 1e-6");
  }
  c.activation = activation_from(a.act_layer.value_or("gelu"), where);
  if (a.global_pool)
    c.pooling = pooling_from(*a.global_pool, where);
  else
    c.pooling = f.attention_pool ? Pooling::Map : f.class_token ? Pooling::Token : Pooling::Avg;
  if (f.attention_pool && c.pooling != Pooling::Map) fail(where, "the weights have an attention-pool head but global_pool is not \"map\"");

  // Image size and position-embedding layout must explain the rows of pos_embed.
  const int prefix = f.prefix_tokens();
  if (a.no_embed_class) {
    c.pos_embed_covers_prefix = !*a.no_embed_class || prefix == 0;
  } else {
    c.pos_embed_covers_prefix = true;
  }
  if (a.img_size) {
    c.image_height = (*a.img_size)[0];
    c.image_width = (*a.img_size)[1];
    if (!a.no_embed_class && prefix > 0 && f.position_rows == c.grid_height() * c.grid_width())
      c.pos_embed_covers_prefix = false;  // unknown layout: the row count decides
  } else {
    const int patches = f.position_rows - (c.pos_embed_covers_prefix ? prefix : 0);
    const int side = static_cast<int>(std::lround(std::sqrt(std::max(patches, 0))));
    if (side <= 0 || side * side != patches)
      fail(where, "cannot infer the image size from pos_embed with " + std::to_string(f.position_rows) +
                      " rows: pass --image-size");
    c.image_height = c.image_width = side * f.patch_size;
    r.notes.push_back("image size " + std::to_string(c.image_height) + " inferred from pos_embed");
  }
  if (c.position_embeddings() != f.position_rows)
    fail(where, "pos_embed has " + std::to_string(f.position_rows) + " rows but a " + std::to_string(c.image_height) +
                    "x" + std::to_string(c.image_width) + " image with patch " + std::to_string(c.patch_size) +
                    " and " + std::to_string(prefix) + " prefix tokens needs " + std::to_string(c.position_embeddings()));
  r.args = a;
  c.validate(where);
  return r;
}

}  // namespace vit

#include "importer/named_architecture.h"

#include <cstdint>

#include "formats/error.h"

namespace vit {

namespace {

template <class T>
T known(const std::optional<T>& value, const char* what, const std::string& where) {
  if (!value) fail(where, std::string("the architecture does not say its ") + what);
  return *value;
}

// Rows of timm's pos_embed: the patch grid (floor division, as PatchEmbed has it), plus the
// prefix tokens unless no_embed_class.
int position_rows(const TimmArchArgs& a, int prefix_tokens, const std::string& where) {
  const std::array<int, 2> image = known(a.img_size, "img_size", where);
  const std::array<int, 2> patch = known(a.patch_size, "patch_size", where);
  if (patch[0] <= 0 || patch[1] <= 0) fail(where, "patch_size must be positive");
  const int64_t grid_h = image[0] / patch[0], grid_w = image[1] / patch[1];
  if (grid_h <= 0 || grid_w <= 0 || grid_h * grid_w > (1 << 24))
    fail(where, "image size " + std::to_string(image[0]) + "x" + std::to_string(image[1]) +
                    " gives no usable patch grid for patch " + std::to_string(patch[0]));
  return static_cast<int>(grid_h * grid_w) + (known(a.no_embed_class, "no_embed_class", where) ? 0 : prefix_tokens);
}

}  // namespace

StateDictFacts facts_of_architecture(const TimmArchArgs& a, const std::string& where) {
  StateDictFacts f;
  f.patch_size = known(a.patch_size, "patch_size", where)[0];
  f.num_channels = known(a.in_chans, "in_chans", where);
  f.hidden_size = known(a.embed_dim, "embed_dim", where);
  f.num_layers = known(a.depth, "depth", where);
  f.intermediate_size = known(a.mlp_hidden(), "MLP width (embed_dim, mlp_ratio)", where);
  f.num_classes = known(a.num_classes, "num_classes", where);
  f.class_token = known(a.class_token, "class_token", where);
  f.distillation_token = a.distilled.value_or(false);
  f.register_tokens = known(a.reg_tokens, "reg_tokens", where);
  f.patch_bias = known(a.patch_bias(), "pre_norm", where);
  f.qkv_bias = known(a.qkv_bias, "qkv_bias", where);
  f.qk_norm = known(a.qk_norm, "qk_norm", where);
  f.layer_scale = known(a.layer_scale(), "init_values", where);
  f.norm_pre = known(a.pre_norm, "pre_norm", where);
  f.final_norm = known(a.has_norm(), "final norm (final_norm, fc_norm, global_pool)", where);
  f.fc_norm = known(a.has_fc_norm(), "fc_norm (final_norm, fc_norm, global_pool)", where);
  f.attention_pool = known(a.global_pool, "global_pool", where) == "map";
  f.hybrid_backbone = a.hybrid.value_or(false);
  f.position_rows = position_rows(a, f.prefix_tokens(), where);
  return f;
}

ResolvedArchitecture resolve_named_architecture(const std::string& name,
                                                const std::optional<std::array<int, 2>>& img_size,
                                                const std::string& where) {
  std::optional<TimmArchArgs> args = lookup_timm_architecture(name);
  if (!args)
    fail(where,
         "unknown timm architecture \"" + name + "\" (the names are in " + models_dir() + "/timm_architectures.json)");
  // The pattern guesses from the name; with no weights to check the guess against, a typo
  // would quietly become another model.
  if (args->inferred)
    fail(where, "\"" + name + "\" is not a timm architecture in " + models_dir() +
                    "/timm_architectures.json (it only follows the vit_<size>_patch<P>_<res> naming pattern)");
  ArchitectureInputs inputs;
  inputs.vit_name = name;
  if (img_size) {
    // The kwarg a timm checkpoint records when it was built for another size; resolve_architecture
    // lays it over the registry's arguments in the same way.
    inputs.checkpoint_model_kwargs = nlohmann::json{{"img_size", {(*img_size)[0], (*img_size)[1]}}};
    args = apply_model_args(std::move(*args), *inputs.checkpoint_model_kwargs);
  }
  return resolve_architecture(facts_of_architecture(*args, where), inputs, where);
}

}  // namespace vit

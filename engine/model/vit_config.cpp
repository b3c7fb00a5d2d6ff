#include "engine/model/vit_config.h"

#include "engine/model/hf_config.h"
#include "formats/error.h"
#include "formats/json_file.h"

namespace vit {

namespace {

template <typename Enum>
struct Named {
  Enum value;
  const char* name;
};
constexpr Named<Pooling> kPoolings[] = {{Pooling::Token, "token"}, {Pooling::Avg, "avg"}, {Pooling::Max, "max"},
                                        {Pooling::AvgMax, "avgmax"}, {Pooling::Map, "map"}};
// The first spelling of each is the one written; the others are transformers' aliases.
constexpr Named<Activation> kActivations[] = {
    {Activation::GeluErf, "gelu"},         {Activation::GeluTanh, "gelu_pytorch_tanh"},
    {Activation::QuickGelu, "quick_gelu"}, {Activation::GeluTanh, "gelu_new"},
    {Activation::GeluTanh, "gelu_fast"},   {Activation::GeluTanh, "gelu_tanh"}};
constexpr Named<PoolerOutput> kPoolerOutputs[] = {
    {PoolerOutput::None, "none"}, {PoolerOutput::PreLogits, "pre_logits"}, {PoolerOutput::DenseTanh, "dense_tanh"}};
constexpr Named<PositionResample> kPositionResamples[] = {{PositionResample::Antialiased, "antialiased"},
                                                          {PositionResample::TorchBicubic, "torch_bicubic"}};

template <typename Enum, size_t N>
Enum by_name(const Named<Enum> (&table)[N], const std::string& name, const char* key, const std::string& where) {
  for (const auto& entry : table)
    if (name == entry.name) return entry.value;
  fail(where, std::string("unsupported ") + key + " \"" + name + "\"");
}

template <typename Enum, size_t N>
const char* name_of(const Named<Enum> (&table)[N], Enum value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  return "?";
}

}  // namespace

void read_image_size(const nlohmann::json& json, VitConfig* config, const std::string& where) {
  auto it = json.find("image_size");
  if (it == json.end() || it->is_null()) fail(where, "missing \"image_size\"");
  if (json_is_int(*it)) {
    config->image_height = config->image_width = it->get<int>();
  } else if (it->is_array() && it->size() == 2 && json_is_int((*it)[0]) && json_is_int((*it)[1])) {
    config->image_height = (*it)[0].get<int>();
    config->image_width = (*it)[1].get<int>();
  } else {
    fail(where, "\"image_size\" must be an integer or [height, width]");
  }
}

namespace {

// An id2label key as transformers writes it: a class index in plain decimal ("7", never "07",
// " 7", "+7" or "0x7", which int() or stoi() would also take).
int label_index(const std::string& key, const std::string& where) {
  const bool decimal = !key.empty() && key.size() <= 9 && (key == "0" || key[0] != '0') &&
                       key.find_first_not_of("0123456789") == std::string::npos;
  if (!decimal) fail(where, "id2label key \"" + key + "\" is not a class index in plain decimal");
  return std::stoi(key);
}

}  // namespace

const char* pooling_name(Pooling pooling) { return name_of(kPoolings, pooling); }
const char* activation_name(Activation activation) { return name_of(kActivations, activation); }
const char* pooler_output_name(PoolerOutput pooler) { return name_of(kPoolerOutputs, pooler); }
const char* position_resample_name(PositionResample resample) { return name_of(kPositionResamples, resample); }

Activation activation_from_json(const nlohmann::json& json, const char* fallback, const std::string& where) {
  return by_name(kActivations, optional_field<std::string>(json, "hidden_act", fallback, where), "hidden_act", where);
}

PositionResample position_resample_from_json(const nlohmann::json& json, PositionResample fallback,
                                             const std::string& where) {
  const auto it = json.find("position_resample");
  if (it == json.end() || it->is_null()) return fallback;
  return by_name(kPositionResamples, json_as<std::string>(*it, json_key_where(where, "position_resample")),
                 "position_resample", where);
}

void read_id2label(const nlohmann::json& json, VitConfig* c, const std::string& where) {
  if (!json.contains("id2label") || !json["id2label"].is_object()) return;
  for (const auto& [key, value] : json["id2label"].items()) {
    if (!value.is_string()) fail(where, "id2label values must be strings");
    c->id2label[label_index(key, where)] = value.get<std::string>();
  }
}

void VitConfig::validate(const std::string& where) const {
  auto positive = [&](int value, const char* what) {
    if (value <= 0 || value > (1 << 20)) fail(where, std::string(what) + " must be positive, got " + std::to_string(value));
  };
  positive(num_channels, "num_channels");
  positive(image_height, "image height");
  positive(image_width, "image width");
  positive(patch_size, "patch_size");
  positive(hidden_size, "hidden_size");
  positive(num_layers, "num_hidden_layers");
  positive(num_heads, "num_attention_heads");
  positive(intermediate_size, "intermediate_size");
  if (num_classes < 0) fail(where, "negative number of classes");
  if (register_tokens < 0 || register_tokens > 1024) fail(where, "bad number of register tokens");
  if (hidden_size % num_heads != 0)
    fail(where, "hidden size " + std::to_string(hidden_size) + " is not divisible by " +
                    std::to_string(num_heads) + " attention heads");
  if (image_height % patch_size != 0 || image_width % patch_size != 0)
    fail(where, "image size " + std::to_string(image_height) + "x" + std::to_string(image_width) +
                    " is not a multiple of the patch size " + std::to_string(patch_size));
  if (!(layer_norm_eps > 0.0f && layer_norm_eps < 1.0f)) fail(where, "layer_norm_eps out of range");
  if ((pooling == Pooling::Avg || pooling == Pooling::Max || pooling == Pooling::AvgMax) &&
      grid_height() * grid_width() == 0)
    fail(where, "average pooling needs patch tokens");
  if (pooling == Pooling::Token && prefix_tokens() == 0)
    fail(where, "token pooling needs a class token");
  if (distillation_token && !class_token) fail(where, "a distillation token needs a class token");
  if (distilled_head && (!distillation_token || num_classes == 0))
    fail(where, "a distilled head needs a distillation token and classes");
  if (pooler_output == PoolerOutput::DenseTanh && (pooler_size <= 0 || pooler_size > (1 << 20) || !class_token))
    fail(where, "a dense pooler needs a class token and a positive pooler size");
  if (projection_dim < 0 || projection_dim > (1 << 20)) fail(where, "projection_dim out of range");
}

namespace {

// The fields this engine's own format adds to a ViT config.json (importer/config_json.cpp
// writes them).
void read_vitcpp_fields(const nlohmann::json& json, VitConfig* c, const std::string& where) {
  c->class_token = required_field<bool>(json, "class_token", where);
  c->distillation_token = required_field<bool>(json, "distillation_token", where);
  c->distilled_head = optional_field<bool>(json, "distilled_head", c->distillation_token, where);
  c->register_tokens = required_field<int>(json, "register_tokens", where);
  c->pos_embed_covers_prefix = required_field<bool>(json, "pos_embed_covers_prefix", where);
  c->patch_bias = required_field<bool>(json, "patch_bias", where);
  c->qk_norm = required_field<bool>(json, "qk_norm", where);
  c->layer_scale = required_field<bool>(json, "layer_scale", where);
  c->swiglu = optional_field<bool>(json, "swiglu", false, where);
  c->norm_pre = required_field<bool>(json, "norm_pre", where);
  c->final_norm = required_field<bool>(json, "final_norm", where);
  c->fc_norm = required_field<bool>(json, "fc_norm", where);
  c->pooling = by_name(kPoolings, required_field<std::string>(json, "pooling", where), "pooling", where);
  c->num_classes = required_field<int>(json, "num_classes", where);
  c->pooler_output =
      by_name(kPoolerOutputs, optional_field<std::string>(json, "pooler_output", "none", where), "pooler_output", where);
  c->pooler_size = optional_field<int>(
      json, "pooler_size", c->pooler_output == PoolerOutput::DenseTanh ? c->hidden_size : 0, where);
  c->projection_dim = optional_field<int>(json, "projection_dim", 0, where);
  c->position_resample = position_resample_from_json(json, PositionResample::Antialiased, where);
  const std::string weights_dtype = optional_field<std::string>(json, "weights_dtype", "float32", where);
  if (weights_dtype != "float32" && weights_dtype != "int8")
    fail(where, "weights_dtype \"" + weights_dtype + "\" is not float32 or int8");
  c->int8_weights = weights_dtype == "int8";
}

VitConfig vitcpp_config(const nlohmann::json& json, const std::string& where) {
  for (const char* key : {"patch_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"})
    if (!json.contains(key)) fail_missing_field(key, where);
  VitConfig c = vision_fields(json, kVitDefaults, where);
  c.qkv_bias = optional_field<bool>(json, "qkv_bias", true, where);
  read_id2label(json, &c, where);
  read_vitcpp_fields(json, &c, where);
  return c;
}

}  // namespace

VitConfig config_from_json(const nlohmann::json& json, const std::string& where) {
  if (!json.is_object()) fail(where, "config is not a JSON object");
  const std::string model_type = optional_field<std::string>(json, "model_type", "", where);
  VitConfig c = model_type == "vitcpp" ? vitcpp_config(json, where) : hf_config_from_json(json, model_type, where);
  c.validate(where);
  return c;
}

}  // namespace vit

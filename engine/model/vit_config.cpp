#include "engine/model/vit_config.h"

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

void read_image_size(const nlohmann::json& json, VitConfig* config, const std::string& where) {
  auto it = json.find("image_size");
  if (it == json.end()) fail(where, "missing \"image_size\"");
  if (json_is_int(*it)) {
    config->image_height = config->image_width = it->get<int>();
  } else if (it->is_array() && it->size() == 2 && json_is_int((*it)[0]) && json_is_int((*it)[1])) {
    config->image_height = (*it)[0].get<int>();
    config->image_width = (*it)[1].get<int>();
  } else {
    fail(where, "\"image_size\" must be an integer or [height, width]");
  }
}

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
}

VitConfig config_from_json(const nlohmann::json& json, const std::string& where) {
  if (!json.is_object()) fail(where, "config is not a JSON object");
  const std::string model_type = optional_field<std::string>(json, "model_type", "", where);
  if (model_type != "vit" && model_type != "vitcpp" && model_type != "deit")
    fail(where, "model_type \"" + model_type + "\" is not a ViT (expected \"vit\" or \"vitcpp\")");
  VitConfig c;
  c.num_channels = optional_field<int>(json, "num_channels", 3, where);
  read_image_size(json, &c, where);
  c.patch_size = required_field<int>(json, "patch_size", where);
  c.hidden_size = required_field<int>(json, "hidden_size", where);
  c.num_layers = required_field<int>(json, "num_hidden_layers", where);
  c.num_heads = required_field<int>(json, "num_attention_heads", where);
  c.intermediate_size = required_field<int>(json, "intermediate_size", where);
  c.layer_norm_eps = static_cast<float>(optional_field<double>(json, "layer_norm_eps", 1e-12, where));
  c.qkv_bias = optional_field<bool>(json, "qkv_bias", true, where);
  c.activation = by_name(kActivations, optional_field<std::string>(json, "hidden_act", "gelu", where), "hidden_act", where);

  if (json.contains("id2label") && json["id2label"].is_object()) {
    for (const auto& [key, value] : json["id2label"].items()) {
      if (!value.is_string()) fail(where, "id2label values must be strings");
      c.id2label[label_index(key, where)] = value.get<std::string>();
    }
  }
  const auto architectures = json.value("architectures", nlohmann::json::array());
  const bool headless = architectures.is_array() && architectures.size() == 1 &&
                        architectures[0].is_string() &&
                        (architectures[0] == "ViTModel" || architectures[0] == "VitcppModel");
  c.num_classes = optional_field<int>(json, "num_labels", headless ? 0 : static_cast<int>(c.id2label.size()), where);

  if (model_type == "vitcpp") {
    c.class_token = required_field<bool>(json, "class_token", where);
    c.distillation_token = required_field<bool>(json, "distillation_token", where);
    c.register_tokens = required_field<int>(json, "register_tokens", where);
    c.pos_embed_covers_prefix = required_field<bool>(json, "pos_embed_covers_prefix", where);
    c.patch_bias = required_field<bool>(json, "patch_bias", where);
    c.qk_norm = required_field<bool>(json, "qk_norm", where);
    c.layer_scale = required_field<bool>(json, "layer_scale", where);
    c.norm_pre = required_field<bool>(json, "norm_pre", where);
    c.final_norm = required_field<bool>(json, "final_norm", where);
    c.fc_norm = required_field<bool>(json, "fc_norm", where);
    c.pooling = by_name(kPoolings, required_field<std::string>(json, "pooling", where), "pooling", where);
    c.num_classes = required_field<int>(json, "num_classes", where);
    const std::string weights_dtype = optional_field<std::string>(json, "weights_dtype", "float32", where);
    if (weights_dtype != "float32" && weights_dtype != "int8")
      fail(where, "weights_dtype \"" + weights_dtype + "\" is not float32 or int8");
    c.int8_weights = weights_dtype == "int8";
  }
  c.validate(where);
  return c;
}

}  // namespace vit

// Each family's config.json: its config class's defaults, where its vision fields live, and
// the architecture facts its modeling code fixes (transformers' modeling_vit.py, _deit.py,
// _dinov2.py, _clip.py and _siglip.py).
#include "engine/model/hf_config.h"

#include <cmath>

#include "formats/error.h"
#include "formats/json_file.h"

namespace vit {

const VisionDefaults kVitDefaults = {768, 12, 12, 3072, 224, 16, 1e-12, "gelu"};  // also DeiTConfig

namespace {

const VisionDefaults kDinov2Defaults = {768, 12, 12, 3072, 224, 14, 1e-6, "gelu"};
const VisionDefaults kClipDefaults = {768, 12, 12, 3072, 224, 32, 1e-5, "quick_gelu"};
const VisionDefaults kSiglipDefaults = {768, 12, 12, 3072, 224, 16, 1e-6, "gelu_pytorch_tanh"};
constexpr int kClipProjectionDefault = 512;

// The one class named in "architectures" (empty when the key is absent).
std::string architecture(const nlohmann::json& json, const std::string& where) {
  const auto it = json.find("architectures");
  if (it == json.end() || it->is_null()) return "";
  if (!it->is_array() || it->size() != 1 || !(*it)[0].is_string())
    fail(where, "\"architectures\" must name exactly one class");
  return (*it)[0].get<std::string>();
}

[[noreturn]] void refuse_architecture(const std::string& name, const std::string& where) {
  fail(where, "\"architectures\" \"" + name + "\" is not supported (a vision backbone or image classifier is)");
}

// The labels and their count (num_labels, else the size of id2label).
void read_classifier(const nlohmann::json& json, VitConfig* c, bool required, const std::string& where) {
  read_id2label(json, c, where);
  c->num_classes = optional_field<int>(json, "num_labels", static_cast<int>(c->id2label.size()), where);
  if (required && c->num_classes == 0) fail(where, "a classifier needs \"id2label\" or \"num_labels\"");
}

// ViT and DeiT: a ViTModel/DeiTModel has the pooler when its weights hold it (the folder
// loader checks; see with_pooler_if_stored), transformers' choice at save time.
void read_vit_pooler(const nlohmann::json& json, VitConfig* c, const std::string& where) {
  const std::string act = optional_field<std::string>(json, "pooler_act", "tanh", where);
  if (act != "tanh") fail(where, "\"pooler_act\" \"" + act + "\" is not supported (only tanh)");
  c->pooler_size = optional_field<int>(json, "pooler_output_size", c->hidden_size, where);
}

VitConfig vit_config(const nlohmann::json& json, const std::string& where) {
  VitConfig c = vision_fields(json, kVitDefaults, where);
  c.qkv_bias = optional_field<bool>(json, "qkv_bias", true, where);
  read_vit_pooler(json, &c, where);
  c.position_resample = position_resample_from_json(json, PositionResample::TorchBicubic, where);
  const std::string arch = architecture(json, where);
  if (arch == "ViTModel") return c;
  if (arch != "ViTForImageClassification" && !arch.empty()) refuse_architecture(arch, where);
  read_classifier(json, &c, !arch.empty(), where);  // no class named: a classifier when it has labels
  return c;
}

VitConfig deit_config(const nlohmann::json& json, const std::string& where) {
  VitConfig c = vision_fields(json, kVitDefaults, where);
  c.qkv_bias = optional_field<bool>(json, "qkv_bias", true, where);
  read_vit_pooler(json, &c, where);
  c.distillation_token = true;  // every DeiT embedding has it; only the teacher model reads it
  c.position_resample = PositionResample::TorchBicubic;
  c.naming = TensorNaming::Deit;
  const std::string arch = architecture(json, where);
  if (arch == "DeiTModel") return c;
  if (arch != "DeiTForImageClassification" && arch != "DeiTForImageClassificationWithTeacher")
    refuse_architecture(arch.empty() ? "(none)" : arch, where);
  c.distilled_head = arch == "DeiTForImageClassificationWithTeacher";
  read_classifier(json, &c, true, where);
  return c;
}

// Dinov2SwiGLUFFN's hidden width: two thirds of the MLP width, rounded up to a multiple of 8.
int swiglu_hidden(int mlp_width) { return (mlp_width * 2 / 3 + 7) / 8 * 8; }

VitConfig dinov2_config(const nlohmann::json& json, const std::string& where) {
  const std::string arch = architecture(json, where);
  if (arch != "Dinov2Model" && !arch.empty()) refuse_architecture(arch, where);
  VitConfig c = vision_fields(json, kDinov2Defaults, where);
  const double mlp_ratio = optional_field<double>(json, "mlp_ratio", 4.0, where);
  if (!(mlp_ratio > 0.0 && mlp_ratio < 64.0)) fail(json_key_where(where, "mlp_ratio"), "must be in (0, 64)");
  const int mlp_width = static_cast<int>(c.hidden_size * mlp_ratio);  // Python's int() truncates
  c.swiglu = optional_field<bool>(json, "use_swiglu_ffn", false, where);
  c.intermediate_size = c.swiglu ? swiglu_hidden(mlp_width) : mlp_width;
  c.qkv_bias = optional_field<bool>(json, "qkv_bias", true, where);
  c.layer_scale = true;
  c.pooler_output = PoolerOutput::PreLogits;
  c.position_resample = PositionResample::TorchBicubic;
  c.naming = TensorNaming::Dinov2;
  return c;
}

// CLIP and SigLIP keep the vision tower's fields in "vision_config" of the full model's
// config (older CLIP configs: "vision_config_dict"); their *_vision_model configs are flat.
const nlohmann::json& vision_section(const nlohmann::json& json, bool nested, const std::string& where) {
  if (!nested) return json;
  for (const char* key : {"vision_config", "vision_config_dict"}) {
    const auto it = json.find(key);
    if (it != json.end() && it->is_object()) return *it;
  }
  fail(where, "missing \"vision_config\"");
}

VitConfig clip_config(const nlohmann::json& json, bool nested, const std::string& where) {
  const std::string arch = architecture(json, where);
  const bool projected = nested ? arch == "CLIPModel" : arch == "CLIPVisionModelWithProjection";
  if (!projected && arch != "CLIPVisionModel" && !arch.empty()) refuse_architecture(arch, where);
  VitConfig c = vision_fields(vision_section(json, nested, where), kClipDefaults, where);
  if (projected) c.projection_dim = optional_field<int>(json, "projection_dim", kClipProjectionDefault, where);
  c.patch_bias = false;
  c.norm_pre = true;    // pre_layrnorm
  c.final_norm = false;  // last_hidden_state is the encoder's output
  c.fc_norm = true;     // post_layernorm, on the class token only
  c.pooler_output = PoolerOutput::PreLogits;
  c.position_resample = PositionResample::TorchBicubic;
  c.naming = TensorNaming::Clip;
  return c;
}

VitConfig siglip_config(const nlohmann::json& json, bool nested, const std::string& where) {
  const std::string arch = architecture(json, where);
  if (arch != (nested ? "SiglipModel" : "SiglipVisionModel") && !arch.empty()) refuse_architecture(arch, where);
  const nlohmann::json& vision = vision_section(json, nested, where);
  if (!optional_field<bool>(vision, "vision_use_head", true, where))
    fail(where, "\"vision_use_head\" false is not supported (the pooled output comes from the attention-pooling head)");
  VitConfig c = vision_fields(vision, kSiglipDefaults, where);
  c.class_token = false;
  c.final_norm = true;  // post_layernorm, on every token
  c.pooling = Pooling::Map;
  c.pooler_output = PoolerOutput::PreLogits;
  c.position_resample = PositionResample::TorchBicubic;
  c.naming = TensorNaming::Siglip;
  return c;
}

}  // namespace

VitConfig vision_fields(const nlohmann::json& json, const VisionDefaults& d, const std::string& where) {
  if (!json.is_object()) fail(where, "the vision config is not a JSON object");
  VitConfig c;
  c.num_channels = optional_field<int>(json, "num_channels", 3, where);
  if (json.contains("image_size"))
    read_image_size(json, &c, where);
  else
    c.image_height = c.image_width = d.image_size;
  c.patch_size = optional_field<int>(json, "patch_size", d.patch_size, where);
  c.hidden_size = optional_field<int>(json, "hidden_size", d.hidden_size, where);
  c.num_layers = optional_field<int>(json, "num_hidden_layers", d.num_layers, where);
  c.num_heads = optional_field<int>(json, "num_attention_heads", d.num_heads, where);
  c.intermediate_size = optional_field<int>(json, "intermediate_size", d.intermediate_size, where);
  c.layer_norm_eps = static_cast<float>(optional_field<double>(json, "layer_norm_eps", d.layer_norm_eps, where));
  c.activation = activation_from_json(json, d.hidden_act, where);
  return c;
}

VitConfig hf_config_from_json(const nlohmann::json& json, const std::string& model_type, const std::string& where) {
  if (model_type == "vit") return vit_config(json, where);
  if (model_type == "deit") return deit_config(json, where);
  if (model_type == "dinov2") return dinov2_config(json, where);
  if (model_type == "clip" || model_type == "clip_vision_model") return clip_config(json, model_type == "clip", where);
  if (model_type == "siglip" || model_type == "siglip_vision_model")
    return siglip_config(json, model_type == "siglip", where);
  fail(where, "\"model_type\" \"" + model_type +
                  "\" is not supported (vit, deit, dinov2, clip, clip_vision_model, siglip, siglip_vision_model or "
                  "vitcpp)");
}

}  // namespace vit

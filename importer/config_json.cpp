#include "importer/config_json.h"

#include "importer/hf_compatibility.h"

namespace vit {

nlohmann::json config_to_json(const VitConfig& c) {
  const bool hf = hf_incompatibilities("", c).empty();
  nlohmann::json j;
  if (hf) {
    j["architectures"] = {c.num_classes > 0 ? "ViTForImageClassification" : "ViTModel"};
    j["model_type"] = "vit";
    j["attention_probs_dropout_prob"] = 0.0;
    j["hidden_dropout_prob"] = 0.0;
    j["initializer_range"] = 0.02;
    j["encoder_stride"] = c.patch_size;
  } else {
    j["architectures"] = {c.num_classes > 0 ? "VitcppForImageClassification" : "VitcppModel"};
    j["model_type"] = "vitcpp";
  }
  j["hidden_size"] = c.hidden_size;
  j["num_hidden_layers"] = c.num_layers;
  j["num_attention_heads"] = c.num_heads;
  j["intermediate_size"] = c.intermediate_size;
  j["hidden_act"] = activation_name(c.activation);
  j["layer_norm_eps"] = static_cast<double>(c.layer_norm_eps);
  if (c.image_height == c.image_width)
    j["image_size"] = c.image_height;
  else
    j["image_size"] = {c.image_height, c.image_width};
  j["patch_size"] = c.patch_size;
  j["num_channels"] = c.num_channels;
  j["qkv_bias"] = c.qkv_bias;
  j["torch_dtype"] = "float32";
  j["position_resample"] = position_resample_name(c.position_resample);
  if (!hf) {
    j["num_classes"] = c.num_classes;
    j["class_token"] = c.class_token;
    j["distillation_token"] = c.distillation_token;
    j["distilled_head"] = c.distilled_head;
    j["register_tokens"] = c.register_tokens;
    j["pos_embed_covers_prefix"] = c.pos_embed_covers_prefix;
    j["patch_bias"] = c.patch_bias;
    j["qk_norm"] = c.qk_norm;
    j["layer_scale"] = c.layer_scale;
    j["swiglu"] = c.swiglu;
    j["norm_pre"] = c.norm_pre;
    j["final_norm"] = c.final_norm;
    j["fc_norm"] = c.fc_norm;
    j["pooling"] = pooling_name(c.pooling);
    j["pooler_output"] = pooler_output_name(c.pooler_output);
    if (c.pooler_output == PoolerOutput::DenseTanh) j["pooler_size"] = c.pooler_size;
    if (c.projection_dim > 0) j["projection_dim"] = c.projection_dim;
    j["weights_dtype"] = c.int8_weights ? "int8" : "float32";
  }
  if (c.num_classes > 0) {
    nlohmann::json id2label = nlohmann::json::object(), label2id = nlohmann::json::object();
    for (int i = 0; i < c.num_classes; ++i) {
      auto it = c.id2label.find(i);
      std::string label = it != c.id2label.end() ? it->second : "LABEL_" + std::to_string(i);
      id2label[std::to_string(i)] = label;
      label2id[label] = i;
    }
    j["id2label"] = id2label;
    j["label2id"] = label2id;
  }
  return j;
}

}  // namespace vit

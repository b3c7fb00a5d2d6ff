// The config.json of the transformers vision models the engine runs directly, and the field
// readers it shares with the engine's own format.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "engine/model/vit_config.h"

namespace vit {

// A transformers config class's defaults, used for the keys a config.json leaves out (as
// transformers does when it loads the folder).
struct VisionDefaults {
  int hidden_size, num_layers, num_heads, intermediate_size, image_size, patch_size;
  double layer_norm_eps;
  const char* hidden_act;
};
extern const VisionDefaults kVitDefaults;  // ViTConfig

// num_channels, image_size, patch_size, hidden_size, num_hidden_layers, num_attention_heads,
// intermediate_size, layer_norm_eps and hidden_act.
VitConfig vision_fields(const nlohmann::json& json, const VisionDefaults& defaults, const std::string& where);

// model_type "vit", "deit", "dinov2", "clip", "clip_vision_model", "siglip" or
// "siglip_vision_model"; refuses any other, and unsupported values, naming the field.
VitConfig hf_config_from_json(const nlohmann::json& json, const std::string& model_type, const std::string& where);

// Defined in vit_config.cpp.
void read_image_size(const nlohmann::json& json, VitConfig* config, const std::string& where);
void read_id2label(const nlohmann::json& json, VitConfig* config, const std::string& where);
// "position_resample" (this engine's key; transformers keeps unknown keys as they are).
PositionResample position_resample_from_json(const nlohmann::json& json, PositionResample fallback,
                                             const std::string& where);
Activation activation_from_json(const nlohmann::json& json, const char* fallback, const std::string& where);

}  // namespace vit

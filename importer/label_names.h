// id2label for a converted classifier: timm's label_names when the checkpoint carries them,
// else the ImageNet subset timm infers from the class count, else LABEL_i.
#pragma once
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace vit {

struct LabelChoice {
  std::map<int, std::string> id2label;
  std::string source;  // for the report: "pretrained_cfg.label_names", "imagenet-1k", "LABEL_i"
};

LabelChoice choose_labels(int num_classes, const std::optional<nlohmann::json>& timm_config);

}  // namespace vit

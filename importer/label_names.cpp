#include "importer/label_names.h"

#include "importer/imagenet_labels.h"

namespace vit {

namespace {

std::optional<nlohmann::json> label_names_of(const std::optional<nlohmann::json>& config) {
  if (!config || !config->is_object()) return std::nullopt;
  for (const nlohmann::json* holder : {&*config, config->contains("pretrained_cfg") ? &(*config)["pretrained_cfg"] : nullptr}) {
    if (holder && holder->is_object() && holder->contains("label_names") && (*holder)["label_names"].is_array())
      return (*holder)["label_names"];
  }
  return std::nullopt;
}

}  // namespace

LabelChoice choose_labels(int num_classes, const std::optional<nlohmann::json>& timm_config) {
  LabelChoice choice;
  if (num_classes <= 0) return choice;
  if (auto names = label_names_of(timm_config); names && static_cast<int>(names->size()) == num_classes) {
    for (int i = 0; i < num_classes; ++i)
      choice.id2label[i] = (*names)[i].is_string() ? (*names)[i].get<std::string>() : (*names)[i].dump();
    choice.source = "pretrained_cfg.label_names";
    return choice;
  }
  if (auto subset = infer_imagenet_subset(num_classes)) {
    std::vector<std::string> labels = imagenet_label_names(*subset);
    if (static_cast<int>(labels.size()) == num_classes) {
      for (int i = 0; i < num_classes; ++i) choice.id2label[i] = labels[i];
      choice.source = *subset;
      return choice;
    }
  }
  for (int i = 0; i < num_classes; ++i) choice.id2label[i] = "LABEL_" + std::to_string(i);
  choice.source = "LABEL_i (no known label set for " + std::to_string(num_classes) + " classes)";
  return choice;
}

}  // namespace vit

// ImageNet class names the way timm's timm.data.ImageNetInfo gives them, from the tables and
// files in models/labels/ (see models/README.md).
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace vit {

// timm's infer_imagenet_subset: the subset name for a classifier with this many classes
// (1000 -> "imagenet-1k", 11821 -> "imagenet-12k", ...); nullopt for any other count.
std::optional<std::string> infer_imagenet_subset(int num_classes);

// ImageNetInfo(subset).index_to_label_name(i) for every class i: the WordNet synset id
// ("n01440764"). This is what Hugging Face's timm converter puts in id2label. The subset name
// is normalised as timm does (lower case; '-', '_' and white space removed), so "imagenet-1k",
// "ImageNet1k" and "imagenet_21k" (= imagenet-21k-goog) all work. Throws Error for an unknown
// subset.
std::vector<std::string> imagenet_label_names(const std::string& subset);

// ImageNetInfo(subset).index_to_description(i) for every class i: the WordNet lemmas
// ("tench, Tinca tinca").
std::vector<std::string> imagenet_label_descriptions(const std::string& subset);

}  // namespace vit

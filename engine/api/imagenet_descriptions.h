// Readable names for ImageNet-1k labels: folders converted from timm (and by the Python
// conversion script) name their classes by WordNet synset id.
#pragma once
#include <string>

namespace vitcpp {

// The WordNet lemmas of an ImageNet-1k synset id ("n02123045" -> "tabby, tabby cat", as timm's
// ImageNetInfo gives them); empty for any other label.
std::string imagenet1k_description(const std::string& label);

}  // namespace vitcpp

#include "imagenet_descriptions.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace vitcpp {

namespace {

struct Description {
  const char* synset;
  const char* lemmas;
};

constexpr Description kImagenet1k[] = {
#include "imagenet1k_descriptions.inc"
};

}  // namespace

std::string imagenet1k_description(const std::string& label) {
  const auto by_synset = [](const Description& d, const std::string& key) { return key.compare(d.synset) > 0; };
  const auto it = std::lower_bound(std::begin(kImagenet1k), std::end(kImagenet1k), label, by_synset);
  return it != std::end(kImagenet1k) && label == it->synset ? it->lemmas : "";
}

}  // namespace vitcpp

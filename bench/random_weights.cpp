#include "bench/random_weights.h"

#include <cmath>

#include "formats/text.h"

namespace vit {

namespace {

// splitmix64: fast enough to fill ViT-L's 300M weights in about a second, unlike
// std::normal_distribution; the values only need to be finite and of a realistic scale.
class Uniform {
 public:
  explicit Uniform(uint64_t seed) : state_(seed) {}
  float operator()() {  // in [-1, 1)
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
  }

 private:
  uint64_t state_;
};

bool is_norm_scale(const std::string& name) {
  if (!ends_with(name, ".weight")) return false;
  return name.find("layernorm") != std::string::npos || name.find("norm.") != std::string::npos;
}

}  // namespace

VitWeights random_weights(const VitConfig& config, uint64_t seed) {
  VitWeights weights;
  Uniform uniform(seed);
  const float half_width = 0.02f * std::sqrt(3.0f);  // standard deviation 0.02, like timm's init
  for (const WeightSlot& slot : weight_slots(config, &weights)) {
    size_t count = 1;
    for (int64_t d : slot.shape) count *= static_cast<size_t>(d);
    slot.values->resize(count);
    const float base = is_norm_scale(slot.name) ? 1.0f : 0.0f;
    for (float& v : *slot.values) v = base + half_width * uniform();
  }
  return weights;
}

std::vector<float> random_pixels(size_t count, uint64_t seed) {
  Uniform uniform(seed);
  std::vector<float> pixels(count);
  for (float& v : pixels) v = uniform();
  return pixels;
}

}  // namespace vit

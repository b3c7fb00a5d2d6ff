// Seeded random weights and pixels: real shapes, no files, values in a sane range.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/model/vit_config.h"
#include "engine/model/vit_weights.h"

namespace vit {

// Fills every tensor weight_slots() names: norm scales 1 +- 0.035, everything else uniform with
// standard deviation 0.02.
VitWeights random_weights(const VitConfig& config, uint64_t seed);
// count floats uniform in [-1, 1).
std::vector<float> random_pixels(size_t count, uint64_t seed);

}  // namespace vit

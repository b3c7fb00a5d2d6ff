// Pixel-by-pixel comparison of two images, with a histogram of the absolute differences.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "engine/image/image.h"

namespace vit::test {

struct ImageDifference {
  std::array<uint64_t, 256> histogram{};  // [d]: channel values that differ by exactly d
  uint64_t values = 0;                     // channel values compared
  uint64_t pixels_differing = 0;
  int max = 0;
  double mean = 0.0;                       // mean absolute difference over all values
  std::string text() const;                // "exact" or "max 2, mean 0.01, |d|=1: 12 ..."
};

// Both images must have the same size (checked with a gtest assertion by the caller).
ImageDifference compare_images(const Image& a, const Image& b);

}  // namespace vit::test

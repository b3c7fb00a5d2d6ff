// Separable resampling weights as Pillow and PyTorch's antialiased interpolation compute them.
#pragma once
#include <vector>

namespace vit {

enum class ResampleFilter { Nearest, Bilinear, Bicubic, Lanczos };

// For each output index: the first input index and the normalised weights of the inputs
// that contribute. When shrinking, the filter support is widened by the scale factor
// (antialiasing). Bicubic uses a = -0.5, as Pillow and PyTorch's antialias mode do.
struct ResampleWeights {
  std::vector<int> first;                  // [out_size]
  std::vector<std::vector<double>> taps;   // [out_size][count]
};

ResampleWeights resample_weights(int in_size, int out_size, ResampleFilter filter);

}  // namespace vit

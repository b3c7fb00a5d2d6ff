// Image.resize of Pillow 9.4 for 8-bit RGB images, reproduced bit for bit.
#pragma once
#include "engine/image/image.h"
#include "engine/ops/resample_weights.h"

namespace vit {

// Resizes to width x height (both >= 1) exactly as PIL.Image.resize((width, height), filter):
// - same size: a copy;
// - Nearest: Pillow's affine nearest-neighbour path, sampling the source pixel at
//   floor(x0 + (i + 0.5) * in / out) where the position is accumulated step by step in double
//   precision as Pillow does (not a convolution);
// - Bilinear, Bicubic (a = -0.5), Lanczos (a = 3): the separable convolution with the filter
//   support widened by the reduction factor when shrinking, weights in 22-bit fixed point,
//   horizontal pass first into an 8-bit (rounded, clamped) intermediate, then vertical; a pass
//   whose size does not change is skipped.
Image resize_image(const Image& image, int width, int height, ResampleFilter filter);

}  // namespace vit

#include "engine/ops/gated_activation.h"

#include <cmath>

namespace vit {

void swiglu_gate(const float* in, int64_t rows, int64_t width, float* out) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* gate = in + r * 2 * width;
    const float* value = gate + width;
    float* y = out + r * width;
    for (int64_t i = 0; i < width; ++i) y[i] = gate[i] / (1.0f + std::exp(-gate[i])) * value[i];
  }
}

}  // namespace vit

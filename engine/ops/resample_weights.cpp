#include "engine/ops/resample_weights.h"

#include <algorithm>
#include <cmath>

namespace vit {

namespace {

constexpr double kPi = 3.14159265358979323846;

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= kPi;
  return std::sin(x) / x;
}

double filter_value(ResampleFilter filter, double x) {
  switch (filter) {
    case ResampleFilter::Nearest:
      return (x >= -0.5 && x < 0.5) ? 1.0 : 0.0;
    case ResampleFilter::Bilinear:
      x = std::fabs(x);
      return x < 1.0 ? 1.0 - x : 0.0;
    case ResampleFilter::Bicubic: {
      constexpr double a = -0.5;
      x = std::fabs(x);
      if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
      if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
      return 0.0;
    }
    case ResampleFilter::Lanczos:
      return (x > -3.0 && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0;
  }
  return 0.0;
}

double filter_support(ResampleFilter filter) {
  switch (filter) {
    case ResampleFilter::Nearest: return 0.5;
    case ResampleFilter::Bilinear: return 1.0;
    case ResampleFilter::Bicubic: return 2.0;
    case ResampleFilter::Lanczos: return 3.0;
  }
  return 1.0;
}

}  // namespace

ResampleWeights resample_weights(int in_size, int out_size, ResampleFilter filter) {
  ResampleWeights w;
  w.first.resize(out_size);
  w.taps.resize(out_size);
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_support(filter) * filter_scale;
  // Both references multiply by the reciprocal rather than divide; the last bit can differ.
  const double inverse_scale = 1.0 / filter_scale;
  for (int i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * scale;
    // Truncation toward zero, as both reference implementations do.
    int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    int hi = std::min(static_cast<int>(center + support + 0.5), in_size);
    std::vector<double>& taps = w.taps[i];
    taps.resize(std::max(hi - lo, 0));
    double total = 0.0;
    for (int j = lo; j < hi; ++j) {
      const double value = filter_value(filter, (j - center + 0.5) * inverse_scale);
      taps[j - lo] = value;
      total += value;
    }
    if (total != 0.0)
      for (double& t : taps) t /= total;
    w.first[i] = lo;
  }
  return w;
}

}  // namespace vit

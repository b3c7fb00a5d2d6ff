#include "importer/output_comparison.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vit {

Comparison compare_outputs(const float* got, const float* reference, size_t count, double atol) {
  Comparison c;
  for (size_t i = 0; i < count; ++i) {
    if (!std::isfinite(got[i]) || !std::isfinite(reference[i])) {
      ++c.non_finite;
      continue;
    }
    c.max_abs_error = std::max(c.max_abs_error, std::fabs(static_cast<double>(got[i]) - reference[i]));
    c.max_abs_reference = std::max(c.max_abs_reference, std::fabs(static_cast<double>(reference[i])));
  }
  c.relative_error = c.max_abs_error / std::max(1e-30, c.max_abs_reference);
  c.tolerance = atol >= 0.0 ? atol : 1e-4 * std::max(1.0, c.max_abs_reference);
  c.passed = c.non_finite == 0 && c.max_abs_error <= c.tolerance;
  return c;
}

std::string describe(const Comparison& c) {
  char text[200];
  std::snprintf(text, sizeof text, "max abs error %.3g, relative %.3g (tolerance %.3g)%s", c.max_abs_error,
                c.relative_error, c.tolerance,
                c.non_finite ? (", " + std::to_string(c.non_finite) + " non-finite values").c_str() : "");
  return text;
}

}  // namespace vit

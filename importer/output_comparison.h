// How close two float arrays are, in the terms the importer reports.
#pragma once
#include <cstddef>
#include <string>

namespace vit {

struct Comparison {
  double max_abs_error = 0.0;
  double max_abs_reference = 0.0;
  double relative_error = 0.0;  // max_abs_error / max(1e-30, max |reference|)
  double tolerance = 0.0;
  size_t non_finite = 0;        // NaN/Inf in either array
  bool passed = false;
};

// Default tolerance: 1e-4 * max(1, max |reference|). atol < 0 selects it.
Comparison compare_outputs(const float* got, const float* reference, size_t count, double atol = -1.0);
std::string describe(const Comparison& c);  // "max abs 1.2e-06, rel 3.4e-07 (tolerance 8.3e-04)"

}  // namespace vit

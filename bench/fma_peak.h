// The float32 rate of the cores' vector FMA units: the ceiling for any float32 engine on this
// machine, against which the GEMM peak and a forward pass (ours or a peer's) can be read.
#pragma once

namespace vit {

struct FmaRate {
  const char* isa = "none";  // "avx512f", "avx2+fma", or "none" where neither exists (gflops 0)
  int threads = 0;
  double gflops = 0;  // from the fastest of the timed rounds, all threads together
};

// Runs independent chains of vector FMAs (registers only, no memory traffic) on every thread of
// the OpenMP pool at once, in rounds, for at least `min_seconds` and 3 rounds.
FmaRate measure_fma_rate(double min_seconds);

}  // namespace vit

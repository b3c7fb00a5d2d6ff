#include "bench/fma_peak.h"

#include <omp.h>

#include <algorithm>

#include "bench/latency_stats.h"

namespace vit {

namespace {

constexpr long kSteps = 10'000'000;  // about 15 ms per round on one AVX-512 core

template <int Lanes> struct FloatVector;  // GCC vector types (an alias template would drop the attribute)
template <> struct FloatVector<16> { typedef float type __attribute__((vector_size(64))); };
template <> struct FloatVector<8> { typedef float type __attribute__((vector_size(32))); };

// `Chains` independent accumulators: two FMA ports with four cycles of latency need eight in
// flight, and twelve (AVX-512, 32 registers) or ten (AVX2, 16) still leave the constants
// registers. acc -> acc * a + b converges to b / (1 - a) = 0.1, so nothing overflows or turns
// denormal. Inlined into a caller compiled for the instruction set, where each step is one FMA.
template <int Lanes, int Chains>
[[gnu::always_inline]] inline float fma_chains(float a_value) {
  using Vector = typename FloatVector<Lanes>::type;
  const Vector a = Vector{} + a_value, b = Vector{} + 1e-7f;
  Vector acc[Chains];
#pragma GCC unroll 16
  for (int i = 0; i < Chains; ++i) acc[i] = Vector{} + static_cast<float>(i);
  for (long step = 0; step < kSteps; ++step) {
#pragma GCC unroll 16
    for (int i = 0; i < Chains; ++i) acc[i] = acc[i] * a + b;
  }
  Vector sum = acc[0];
#pragma GCC unroll 16
  for (int i = 1; i < Chains; ++i) sum += acc[i];
  float lanes[Lanes];
  __builtin_memcpy(lanes, &sum, sizeof lanes);
  float total = 0;
  for (float x : lanes) total += x;
  return total;
}

// fp-contract=fast makes acc * a + b one FMA whatever the build's own setting.
__attribute__((target("avx512f"), optimize("fp-contract=fast"))) float fma_chains_avx512(float a) {
  return fma_chains<16, 12>(a);
}
__attribute__((target("avx2,fma"), optimize("fp-contract=fast"))) float fma_chains_avx2(float a) {
  return fma_chains<8, 10>(a);
}

struct Kernel {
  const char* isa;
  float (*run)(float);
  double flops_per_call;  // per thread
};

Kernel pick_kernel() {
  if (__builtin_cpu_supports("avx512f")) return {"avx512f", fma_chains_avx512, 2.0 * 16 * 12 * kSteps};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {"avx2+fma", fma_chains_avx2, 2.0 * 8 * 10 * kSteps};
  return {"none", nullptr, 0};
}

}  // namespace

FmaRate measure_fma_rate(double min_seconds) {
  const Kernel kernel = pick_kernel();
  FmaRate rate;
  rate.isa = kernel.isa;
  rate.threads = omp_get_max_threads();
  if (kernel.run == nullptr) return rate;
  // A result the compiler cannot discard; the multiplier is not a constant it could fold.
  volatile float sink = 0;
  volatile float a = 0.999999f;
  double best_ms = 0;
  const double start = now_ms();
  for (int round = 0; round < 3 || now_ms() - start < min_seconds * 1000.0; ++round) {
    const double t = now_ms();
#pragma omp parallel
    {
      const float result = kernel.run(a);
#pragma omp critical
      sink = sink + result;
    }
    const double ms = now_ms() - t;
    best_ms = round == 0 ? ms : std::min(best_ms, ms);
  }
  rate.gflops = kernel.flops_per_call * rate.threads / (best_ms * 1e6);
  return rate;
}

}  // namespace vit

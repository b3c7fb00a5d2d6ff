#include "bench/fma_peak.h"

#include <omp.h>

#include <algorithm>

#include "bench/latency_stats.h"
#include "engine/ops/x86_intrinsics.h"

namespace vit {

namespace {

// Twelve accumulators: two FMA ports with four cycles of latency need eight chains in flight,
// and twelve (AVX-512) or ten (AVX2) still leave the constants registers. acc -> acc * a + b
// converges to b / (1 - a) = 0.1, so no value overflows or turns denormal.
constexpr long kSteps = 10'000'000;  // about 15 ms per round on one AVX-512 core

VIT_AVX512F float fma_chains_avx512(float a_value) {
  const __m512 a = _mm512_set1_ps(a_value), b = _mm512_set1_ps(1e-7f);
  __m512 acc[12];
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long step = 0; step < kSteps; ++step) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];
#pragma GCC unroll 12
  for (int i = 1; i < 12; ++i) sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx2,fma"))) float fma_chains_avx2(float a_value) {
  const __m256 a = _mm256_set1_ps(a_value), b = _mm256_set1_ps(1e-7f);
  __m256 acc[10];
#pragma GCC unroll 10
  for (int i = 0; i < 10; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (long step = 0; step < kSteps; ++step) {
#pragma GCC unroll 10
    for (int i = 0; i < 10; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 sum = acc[0];
#pragma GCC unroll 10
  for (int i = 1; i < 10; ++i) sum = _mm256_add_ps(sum, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  float total = 0;
  for (float x : lanes) total += x;
  return total;
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

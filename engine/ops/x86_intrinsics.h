// <immintrin.h> for the AVX-512 kernels, and the attribute that compiles a function for
// AVX512F (the build targets baseline x86-64, so callers check the CPU first).
#pragma once
#include <cstdint>

// GCC 12's AVX-512 headers leave a dummy operand uninitialised inside intrinsics such as
// _mm512_max_ps (GCC bug 105593); the warning is about the header, not the code that calls
// it, and is silenced for the header's lines only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#define VIT_AVX512F __attribute__((target("avx512f")))

// The first n of a vector's 16 float lanes (all for n >= 16, none for n <= 0): the mask of a
// row's last, partial vector.
inline __mmask16 first_lanes(int64_t n) {
  return n >= 16 ? __mmask16{0xffff} : n <= 0 ? __mmask16{0} : static_cast<__mmask16>((1u << n) - 1);
}

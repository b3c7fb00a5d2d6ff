// <immintrin.h> for the AVX-512 kernels, and the attribute that compiles a function for
// AVX512F (the build targets baseline x86-64, so callers check the CPU first).
#pragma once

// GCC 12's AVX-512 headers leave a dummy operand uninitialised inside intrinsics such as
// _mm512_max_ps (GCC bug 105593); the warning is about the header, not the code that calls
// it, and is silenced for the header's lines only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#define VIT_AVX512F __attribute__((target("avx512f")))

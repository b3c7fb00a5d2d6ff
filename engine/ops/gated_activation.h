// The gate of a SwiGLU MLP (DINOv2's use_swiglu_ffn): silu(gate) * value.
#pragma once
#include <cstdint>

namespace vit {

// in: [rows, 2 * width], each row its gate half then its value half (the fc1 output);
// out: [rows, width] = silu(gate) * value, with silu(x) = x / (1 + exp(-x)) in float32.
// Uses AVX-512 where the CPU has it (within 1e-6 relative of float64; NaN gates give NaN).
void swiglu_gate(const float* in, int64_t rows, int64_t width, float* out);

// std::exp on every CPU: what swiglu_gate runs without AVX-512.
void swiglu_gate_portable(const float* in, int64_t rows, int64_t width, float* out);

}  // namespace vit

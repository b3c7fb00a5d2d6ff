// The second step of an int8 linear layer: the GEMM's sums (already times the weights' column
// scales) times each row's activation scale, plus bias, then the layer's epilogue.
#pragma once
#include <cstdint>

#include "engine/ops/matmul.h"

namespace vit {

struct RowRescale {
  const float* sums;        // [rows, cols]
  const float* row_scales;  // [rows]
  const float* bias;        // [cols] or null
  const float* gamma;       // [cols] or null; AddToOutput only (null = 1)
  Epilogue epilogue;
  int64_t rows, cols;
};

// y = epilogue(sums * row_scale + bias), or for AddToOutput y += gamma * (sums * row_scale +
// bias). y may be sums itself (not for AddToOutput). GELU (erf and tanh forms) and QuickGELU
// of the float32 value match float64 to 4e-7 relative times max(1, x^2): the tails' own
// condition, with no cancellation of 1 + erf (and within 1e-35 where they underflow). Uses
// AVX-512 where the CPU has it.
void rescale_rows(const RowRescale& r, float* y);

// The same quantized per row as quantize_rows does (q: [rows, cols], q_scales: [rows]), with
// no float32 copy in between: the values equal quantize_rows of the float32 result. Throws
// Error for AddToOutput.
void rescale_rows(const RowRescale& r, int8_t* q, float* q_scales);

// The same in plain C++: what rescale_rows runs on other CPUs.
void rescale_rows_portable(const RowRescale& r, float* y);
void rescale_rows_portable(const RowRescale& r, int8_t* q, float* q_scales);

}  // namespace vit

// Symmetric int8 quantization, one scale per row: per output channel for weights, per token
// for activations.
#pragma once
#include <cstdint>

namespace vit {

// Each row r of a row-major [rows, cols] matrix becomes q = round(x / scale[r]) with
// scale[r] = max|x| / 127 over the row (1 when the row is all 0; NaN quantizes to 0).
// Writes the scales to scales[rows].
// Uses AVX-512 where the CPU has it.
void quantize_rows(const float* matrix, int64_t rows, int64_t cols, int8_t* q, float* scales);

// One row of quantize_rows: quantizes x[count] into q and returns its scale.
float quantize_row(const float* x, int64_t count, int8_t* q);

// The same results without AVX-512: what quantize_rows runs on other CPUs.
void quantize_rows_portable(const float* matrix, int64_t rows, int64_t cols, int8_t* q, float* scales);

}  // namespace vit

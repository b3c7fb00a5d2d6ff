// LayerNorm over consecutive groups of `dim` floats.
#pragma once
#include <cstdint>

namespace vit {

// For each of `rows` rows (row r starts at x + r * row_stride), normalises each of its
// `groups` consecutive segments of `dim` floats: y = (x - mean) / sqrt(var + eps) * w + b.
// In place when y == x. A plain LayerNorm over [rows, dim] is groups = 1, row_stride = dim.
void layer_norm(const float* x, float* y, int64_t rows, int64_t row_stride, int64_t groups,
                int64_t dim, const float* weight, const float* bias, float eps);

inline void layer_norm(const float* x, float* y, int64_t rows, int64_t dim, const float* weight,
                       const float* bias, float eps) {
  layer_norm(x, y, rows, dim, 1, dim, weight, bias, eps);
}

// The same writing bfloat16 (uint16_t bits, rounded to nearest even): the input of bfloat16
// GEMMs, which then skip their own conversion.
void layer_norm(const float* x, uint16_t* y, int64_t rows, int64_t dim, const float* weight, const float* bias,
                float eps);

// The same quantized to int8 per row as quantize_rows does (row_scales: [rows]): the input of
// int8 GEMMs, with no float32 copy in between. The values equal quantize_rows of the float32
// result.
void layer_norm(const float* x, int8_t* y, float* row_scales, int64_t rows, int64_t dim, const float* weight,
                const float* bias, float eps);

}  // namespace vit

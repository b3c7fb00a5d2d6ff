// Element types of stored tensors and their on-disk names.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace vit {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

size_t dtype_size(DType dtype);
// The safetensors spelling: "F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL".
const char* dtype_name(DType dtype);
// Parses a safetensors dtype name; returns false when unknown.
bool dtype_from_name(const std::string& name, DType* dtype);
bool is_floating(DType dtype);

// Exact conversions (IEEE binary16 and bfloat16 to float32, and float32 to both with
// round-to-nearest-even).
float half_to_float(uint16_t h);
float bfloat16_to_float(uint16_t b);
uint16_t float_to_half(float f);
uint16_t float_to_bfloat16(float f);

}  // namespace vit

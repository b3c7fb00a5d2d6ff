#include "stored_tensor.h"

#include <cstring>
#include <limits>

#include "error.h"

namespace vit {

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

int64_t StoredTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool StoredTensor::is_contiguous() const {
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

std::string StoredTensor::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void StoredTensor::validate(const std::string& where) const {
  if (strides.size() != shape.size()) fail(where, "strides and shape differ in rank");
  if (offset < 0) fail(where, "negative storage offset");
  const int64_t kMax = std::numeric_limits<int64_t>::max() / 16;
  int64_t count = 1;
  int64_t last = offset;  // largest element index addressed
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) fail(where, "negative dimension in shape " + shape_string());
    if (strides[i] < 0) fail(where, "negative stride");
    if (shape[i] != 0 && count > kMax / shape[i]) fail(where, "shape " + shape_string() + " is too large");
    count *= shape[i];
  }
  if (count == 0) return;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] > 1 && strides[i] > (kMax - last) / (shape[i] - 1)) fail(where, "strides are too large");
    last += (shape[i] - 1) * strides[i];
  }
  size_t item = dtype_size(dtype);
  if (static_cast<uint64_t>(last) >= storage.size / item)
    fail(where, "tensor " + shape_string() + " at offset " + std::to_string(offset) +
                    " reaches element " + std::to_string(last) + " but its storage holds " +
                    std::to_string(storage.size / item));
}

namespace {

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

float element_as_float(DType dtype, const uint8_t* p) {
  switch (dtype) {
    case DType::F64: return static_cast<float>(load<double>(p));
    case DType::F32: return load<float>(p);
    case DType::F16: return half_to_float(load<uint16_t>(p));
    case DType::BF16: return bfloat16_to_float(load<uint16_t>(p));
    case DType::I64: return static_cast<float>(load<int64_t>(p));
    case DType::I32: return static_cast<float>(load<int32_t>(p));
    case DType::I16: return static_cast<float>(load<int16_t>(p));
    case DType::I8: return static_cast<float>(load<int8_t>(p));
    case DType::U8: return static_cast<float>(*p);
    case DType::Bool: return *p ? 1.0f : 0.0f;
  }
  return 0.0f;
}

}  // namespace

std::vector<float> StoredTensor::to_float() const {
  const int64_t n = numel();
  const size_t item = dtype_size(dtype);
  if (dtype == DType::F32 && is_contiguous() && n > 0) {  // one pass, no zero-fill first
    const float* first = reinterpret_cast<const float*>(storage.data + offset * item);
    if (reinterpret_cast<uintptr_t>(first) % alignof(float) == 0) return std::vector<float>(first, first + n);
  }
  std::vector<float> out(static_cast<size_t>(n));
  if (n == 0) return out;
  if (dtype == DType::F32 && is_contiguous()) {
    std::memcpy(out.data(), storage.data + offset * item, n * item);
    return out;
  }
  const size_t rank = shape.size();
  std::vector<int64_t> index(rank, 0);
  int64_t element = offset;
  for (int64_t k = 0; k < n; ++k) {
    out[k] = element_as_float(dtype, storage.data + element * item);
    for (size_t d = rank; d-- > 0;) {  // odometer increment
      if (++index[d] < shape[d]) {
        element += strides[d];
        break;
      }
      element -= (shape[d] - 1) * strides[d];
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace vit

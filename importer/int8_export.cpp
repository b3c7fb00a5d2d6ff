#include "importer/int8_export.h"

#include <algorithm>
#include <cmath>

#include "engine/ops/quantize.h"
#include "engine/model/vit_weights.h"

namespace vit {

namespace {

template <typename T>
StoredTensor view_of(DType dtype, const std::vector<int64_t>& shape, const std::vector<T>& values) {
  StoredTensor view;
  view.dtype = dtype;
  view.shape = shape;
  view.strides = contiguous_strides(shape);
  view.storage = ByteView{reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(T), nullptr};
  return view;
}

}  // namespace

Int8Matrices quantize_storable_matrices(const VitConfig& config, FloatTensors* tensors) {
  Int8Matrices int8;
  VitWeights unused;
  for (const WeightSlot& slot : weight_slots(config, &unused)) {
    if (!slot.int8_storable) continue;
    auto it = tensors->find(slot.name);
    if (it == tensors->end()) continue;  // load_weights reports the missing tensor
    Int8Matrix& m = int8[slot.name];
    m.shape = it->second.shape;
    m.values.resize(it->second.values.size());
    m.scales.resize(m.shape[0]);
    quantize_rows(it->second.values.data(), m.shape[0], m.shape[1], m.values.data(), m.scales.data());
    tensors->erase(it);
  }
  return int8;
}

std::map<std::string, StoredTensor> tensor_views(const FloatTensors& tensors, const Int8Matrices& int8) {
  std::map<std::string, StoredTensor> views;
  for (const auto& [name, t] : tensors) views.emplace(name, view_of(DType::F32, t.shape, t.values));
  for (const auto& [name, m] : int8) {
    views.emplace(name, view_of(DType::I8, m.shape, m.values));
    views.emplace(int8_scale_name(name), view_of(DType::F32, {m.shape[0]}, m.scales));
  }
  return views;
}

double min_row_cosine(const std::vector<float>& a, const std::vector<float>& b, int rows) {
  const size_t n = rows > 0 ? a.size() / rows : 0;
  double lowest = 1.0;
  for (int r = 0; r < rows; ++r) {
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = r * n; i < (r + 1) * n; ++i) {
      ab += double(a[i]) * b[i];
      aa += double(a[i]) * a[i];
      bb += double(b[i]) * b[i];
    }
    lowest = std::min(lowest, aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : (aa == bb ? 1.0 : 0.0));
  }
  return lowest;
}

}  // namespace vit

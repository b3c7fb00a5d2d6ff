// Linear layers (y = x W^T + b) through oneDNN matmul primitives, created once per shape, with
// weights reordered once into the layout oneDNN prefers.
#pragma once
#include <cstdint>
#include <memory>

namespace vit {

enum class Epilogue {
  None,
  GeluErf,
  GeluTanh,
  QuickGelu,   // x * sigmoid(1.702 x)
  AddToOutput  // y += gamma * (x W^T + b): the residual update; gamma may be null (= 1)
};

struct LinearShape {
  int64_t rows;     // M: tokens in the batch
  int64_t inputs;   // K
  int64_t outputs;  // N
};

// A weight matrix in oneDNN's preferred (blocked) layout; the same for every row count.
class PackedWeights {
 public:
  int64_t inputs() const { return inputs_; }
  int64_t outputs() const { return outputs_; }
  bool empty() const { return !memory_; }

 private:
  friend class MatmulRunner;
  int64_t inputs_ = 0, outputs_ = 0;
  std::shared_ptr<const void> memory_;  // a dnnl::memory
};

// Holds the oneDNN engine and a cache of primitives keyed by shape and epilogue.
// Safe to use from several threads at once.
class MatmulRunner {
 public:
  MatmulRunner();
  ~MatmulRunner();
  MatmulRunner(const MatmulRunner&) = delete;
  MatmulRunner& operator=(const MatmulRunner&) = delete;

  // weight: [outputs, inputs] row-major (PyTorch layout).
  PackedWeights pack(const float* weight, int64_t inputs, int64_t outputs) const;

  // x: [rows, inputs] row-major; bias: [outputs] or null; y: [rows, outputs] (read too for
  // AddToOutput); gamma: [outputs] or null.
  void linear(const LinearShape& shape, const float* x, const PackedWeights& weight, const float* bias, float* y,
              Epilogue epilogue, const float* gamma = nullptr) const;
  // The same with a plain [outputs, inputs] weight (reordered by oneDNN on every call).
  void linear(const LinearShape& shape, const float* x, const float* weight, const float* bias, float* y,
              Epilogue epilogue, const float* gamma = nullptr) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vit

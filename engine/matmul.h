// Linear layers (y = x W^T + b) through oneDNN matmul primitives, created once per shape.
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

// Holds the oneDNN engine and a cache of primitives keyed by shape and epilogue.
// Safe to use from several threads at once.
class MatmulRunner {
 public:
  MatmulRunner();
  ~MatmulRunner();
  MatmulRunner(const MatmulRunner&) = delete;
  MatmulRunner& operator=(const MatmulRunner&) = delete;

  // x: [rows, inputs] row-major; weight: [outputs, inputs] row-major (PyTorch layout);
  // bias: [outputs] or null; y: [rows, outputs] (read too for AddToOutput); gamma: [outputs].
  void linear(const LinearShape& shape, const float* x, const float* weight, const float* bias,
              float* y, Epilogue epilogue, const float* gamma = nullptr) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vit

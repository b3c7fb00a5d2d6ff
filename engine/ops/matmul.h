// Linear layers (y = x W^T + b) through oneDNN matmul primitives, created once per shape, with
// weights reordered once into the layout oneDNN prefers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "formats/byte_view.h"

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

// The number format of GEMM inputs; everything else stays float32.
//   BF16: weights rounded once and activations per call to bfloat16, float32 accumulation
//         (AVX512-BF16 / AMX).
//   Int8: weights int8 with one scale per output channel (symmetric, max |w| -> 127);
//         activations int8 with one scale per token, computed at each call (symmetric,
//         max |x| -> 127); int32 accumulation (AVX512-VNNI / AMX), rescaled to float32 before
//         bias and epilogue.
enum class Precision { F32, BF16, Int8 };
const char* precision_name(Precision precision);  // "f32", "bf16", "int8"
// The inverse; throws Error(where: ...) for any other name.
Precision precision_from_name(const std::string& name, const std::string& where);

// Activations a linear layer reads or writes: float32; bfloat16 (the upper half of a float32,
// rounded to nearest even); or int8 quantized per row as quantize_rows does, with the rows'
// scales. bfloat16 inputs need BF16 weights and int8 inputs Int8 weights (the conversion each
// call would do is skipped); bfloat16 outputs need a non-Int8 layer without AddToOutput, int8
// outputs an Int8 layer without AddToOutput, and a float32 [rows, outputs] buffer for the
// GEMM's sums.
struct LinearInput {
  LinearInput(const float* p) : data(p) {}
  LinearInput(const uint16_t* p) : data(p), bf16(true) {}
  LinearInput(const int8_t* p, const float* scales) : data(p), row_scales(scales) {}
  const void* data;
  bool bf16 = false;
  const float* row_scales = nullptr;  // set for int8
  bool int8() const { return row_scales != nullptr; }
};
struct LinearOutput {
  LinearOutput(float* p) : data(p) {}
  LinearOutput(uint16_t* p) : data(p), bf16(true) {}
  LinearOutput(int8_t* p, float* scales, float* sums) : data(p), row_scales(scales), int8_sums(sums) {}
  void* data;
  bool bf16 = false;
  float* row_scales = nullptr;  // set for int8
  float* int8_sums = nullptr;   // set for int8
  bool int8() const { return row_scales != nullptr; }
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
  std::vector<float> scales_;           // Int8: per output channel
};

// A packed matrix as bytes, to be kept between runs (packed_cache.h). `layout` describes where
// oneDNN puts each element (onednn_layout.h); bytes packed under one layout are valid wherever
// pack() would produce the same text.
struct PackedImage {
  std::string layout;
  ByteView bytes;
  std::vector<float> scales;  // Int8: per output channel
};

// A 4-D batched product C = scale * A B over [batch, heads] of row-major-indexed matrices
// with arbitrary strides (dims and strides in elements, outermost first). A batch dim of size
// 1 in A or B broadcasts.
struct StridedMatmul {
  int64_t a_dims[4], a_strides[4];
  int64_t b_dims[4], b_strides[4];
  int64_t c_dims[4], c_strides[4];
  float scale = 1.0f;
};

// Holds the oneDNN engine and a cache of primitives keyed by shape and epilogue.
// Safe to use from several threads at once, also on the same shapes: primitives take their
// scratch memory per call.
class MatmulRunner {
 public:
  // The most primitives kept per kind (linear layers; the other ops): the least recently used
  // go when inputs of new sizes keep coming. A ViT needs about 8 per batch size and resolution.
  static constexpr size_t kCachedPrimitives = 128;

  MatmulRunner();
  ~MatmulRunner();
  MatmulRunner(const MatmulRunner&) = delete;
  MatmulRunner& operator=(const MatmulRunner&) = delete;

  // weight: [outputs, inputs] row-major (PyTorch layout). Throws Error when this CPU has no
  // implementation for the precision.
  PackedWeights pack(const float* weight, int64_t inputs, int64_t outputs, Precision precision = Precision::F32) const;
  // The same for a matrix given as row blocks stacked along the outputs (q, k, v), each block
  // [block_outputs[i], inputs] read through block(i) only until block(i + 1) is asked for.
  PackedWeights pack_blocks(int64_t inputs, const std::vector<int64_t>& block_outputs, Precision precision,
                            const std::function<const float*(size_t block)>& block) const;

  // The bytes of `weights` (kept alive by the image) and their layout.
  PackedImage image_of(const PackedWeights& weights) const;
  // Packed weights over an image's bytes, without copying them. Throws Error when the image's
  // layout or size is not what pack() would produce.
  PackedWeights from_image(int64_t inputs, int64_t outputs, Precision precision, const PackedImage& image) const;

  // x: [rows, inputs] row-major; bias: [outputs] or null; y: [rows, outputs] (read too for
  // AddToOutput); gamma: [outputs] or null.
  void linear(const LinearShape& shape, LinearInput x, const PackedWeights& weight, const float* bias, LinearOutput y,
              Epilogue epilogue, const float* gamma = nullptr) const;
  void strided_matmul(const StridedMatmul& spec, const float* a, const float* b, float* c) const;
  // Softmax over the last of 4 dense dims, in place.
  void softmax_last_axis(float* x, const int64_t dims[4]) const;

  // The same with a plain [outputs, inputs] weight (reordered by oneDNN on every call).
  void linear(const LinearShape& shape, const float* x, const float* weight, const float* bias, float* y,
              Epilogue epilogue, const float* gamma = nullptr) const;

  // Primitives in the caches now, all kinds together (at most 2 * kCachedPrimitives).
  size_t cached_primitives() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vit

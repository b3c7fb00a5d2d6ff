// A loaded ViT and its forward pass: embed, blocks, norm, pool, head.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/ops/matmul.h"
#include "engine/ops/op_times.h"
#include "engine/model/packed_linears.h"
#include "engine/model/vit_config.h"
#include "engine/model/vit_weights.h"

namespace vit {

enum OutputKind : unsigned {
  kLogits = 1u << 0,     // [batch, classes]
  kPreLogits = 1u << 1,  // [batch, hidden]: pooled (and fc_norm'ed), before the head
  kFeatures = 1u << 2,   // [batch, tokens, hidden]: every token after the final norm (if any)
  kPoolerOutput = 1u << 3,  // [batch, pooler width]: see PoolerOutput
  kImageEmbeds = 1u << 4,   // [batch, projection_dim]: CLIP's projected embedding
};

struct ForwardResult {
  int batch = 0;
  int tokens = 0;
  std::vector<float> logits, pre_logits, features, pooler_output, image_embeds;  // filled as requested
};

// Whether a model with this config gives the output, and its width per image (features: per token).
bool has_output(const VitConfig& config, OutputKind kind);
int output_width(const VitConfig& config, OutputKind kind);

class ScratchPool;

class VitModel {
 public:
  // Packs the matrices of `weights`; those it left empty are read through `matrices`. With a
  // cache, matrices it holds are used from it instead, and every matrix is kept in it.
  VitModel(VitConfig config, VitWeights weights, Precision precision = Precision::F32,
           const MatrixSource& matrices = {}, PackedCache* cache = nullptr, const LoadProgress& progress = {});
  ~VitModel();
  VitModel(VitModel&&) noexcept;
  VitModel& operator=(VitModel&&) noexcept;

  const VitConfig& config() const { return config_; }
  Precision precision() const { return precision_; }
  bool packed_weights_from_cache() const { return packed_weights_from_cache_; }  // every matrix mapped from it

  // Memory: the weights as the model holds them (packed matrices, their biases and scales, and
  // the small tensors), and the buffers one forward call of this input size works in (each
  // concurrent call has its own).
  size_t weight_bytes() const;
  size_t activation_bytes(int batch, int height, int width) const;

  // pixels: float32 [batch, channels, height, width]; height and width must be multiples of
  // the patch size (other sizes than the config's resample the position embeddings).
  // Safe to call from several threads at once. `times`, when given, accumulates the time spent
  // per op kind (fused epilogues count with their GEMM; checking the input, carving buffers and
  // copying the outputs count with none).
  ForwardResult forward(const float* pixels, int batch, int height, int width, unsigned outputs,
                        OpTimes* times = nullptr) const;

 private:
  VitConfig config_;
  VitWeights weights_;  // the small tensors (norms, tokens, scales); matrices live packed
  Precision precision_;
  bool packed_weights_from_cache_ = false;
  size_t small_weight_bytes_ = 0;  // of weights_, once the matrices are packed and released
  std::unique_ptr<MatmulRunner> matmul_;
  ModelLinears linears_;
  std::unique_ptr<ScratchPool> scratch_;  // one Scratch per concurrent forward call
};

}  // namespace vit

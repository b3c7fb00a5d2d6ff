// A loaded ViT and its forward pass: embed, blocks, norm, pool, head.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/vit_config.h"
#include "engine/vit_weights.h"

namespace vit {

class MatmulRunner;

enum OutputKind : unsigned {
  kLogits = 1u << 0,     // [batch, classes]
  kPreLogits = 1u << 1,  // [batch, hidden]: pooled (and fc_norm'ed), before the head
  kFeatures = 1u << 2,   // [batch, tokens, hidden]: every token after the final norm
};

struct ForwardResult {
  int batch = 0;
  int tokens = 0;
  std::vector<float> logits, pre_logits, features;  // filled as requested
};

// Linear layer weights in the engine's own packing (fused q/k/v), built once at load.
struct PackedLinear {
  std::vector<float> weight;  // [outputs, inputs]
  std::vector<float> bias;    // [outputs] or empty
  int inputs = 0;
  int outputs = 0;
};

class VitModel {
 public:
  VitModel(VitConfig config, VitWeights weights);
  ~VitModel();
  VitModel(VitModel&&) noexcept;
  VitModel& operator=(VitModel&&) noexcept;

  const VitConfig& config() const { return config_; }
  const VitWeights& weights() const { return weights_; }

  // pixels: float32 [batch, channels, height, width]; height and width must be multiples of
  // the patch size (other sizes than the config's resample the position embeddings).
  // Safe to call from several threads at once.
  ForwardResult forward(const float* pixels, int batch, int height, int width, unsigned outputs) const;

 private:
  VitConfig config_;
  VitWeights weights_;
  std::vector<PackedLinear> qkv_;  // per layer: query, key, value rows stacked
  PackedLinear map_kv_;            // map head: key, value rows stacked
  std::unique_ptr<MatmulRunner> matmul_;
};


}  // namespace vit

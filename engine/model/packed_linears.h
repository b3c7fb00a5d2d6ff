// The linear layers of a ViT as the engine runs them: weights packed once for oneDNN.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/ops/matmul.h"
#include "engine/model/vit_config.h"
#include "engine/model/vit_weights.h"

namespace vit {

class PackedCache;

// One linear layer: weights packed for oneDNN, bias kept plain.
struct PackedLinear {
  PackedWeights weight;
  std::vector<float> bias;  // [outputs] or empty
};

struct LayerLinears {
  PackedLinear qkv, proj, fc1, fc2;  // qkv: query, key, value rows stacked
};

struct MapHeadLinears {
  PackedLinear query, kv, proj, fc1, fc2;  // kv: key, value rows stacked
};

struct ModelLinears {
  PackedLinear patch;
  std::vector<LayerLinears> layers;
  MapHeadLinears map;            // map pooling only
  PackedLinear head, dist_head;  // classifier (num_classes > 0); dist_head: distilled DeiT only
  PackedLinear pooler;           // transformers' ViT pooler dense (PoolerOutput::DenseTanh)
  PackedLinear projection;       // CLIP's visual_projection (projection_dim > 0)
};

// Told the fraction of the blocks packed so far (0 to 1) while a model loads; returning false
// stops the load (it throws Aborted).
using LoadProgress = std::function<bool(float fraction)>;

// Packs every matrix of `weights` and empties it; those it left empty are read through
// `matrices`. With a cache, matrices it holds are used from it instead, and every matrix is
// kept in it. Int8 models run some layers in bfloat16 or float32 (see the .cpp).
ModelLinears pack_linears(const VitConfig& config, VitWeights& weights, Precision precision, const MatmulRunner& mm,
                          const MatrixSource& matrices, PackedCache* cache, const LoadProgress& progress = {});

// y = x W^T + b (+ epilogue) over `rows` rows.
void run_linear(const MatmulRunner& mm, int64_t rows, LinearInput x, const PackedLinear& linear, LinearOutput y,
                Epilogue epilogue, const float* gamma = nullptr);

Epilogue activation_epilogue(Activation activation);

}  // namespace vit

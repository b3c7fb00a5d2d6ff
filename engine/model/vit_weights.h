// The weights of a ViT as plain float arrays, and the one table that names them.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/model/vit_config.h"
#include "formats/stored_tensor.h"

namespace vit {

using Floats = std::vector<float>;

struct LayerWeights {
  Floats norm1_weight, norm1_bias;
  Floats query_weight, query_bias, key_weight, key_bias, value_weight, value_bias;  // [D, D], [D]
  Floats q_norm_weight, q_norm_bias, k_norm_weight, k_norm_bias;                    // [head_dim]
  Floats proj_weight, proj_bias;                                                    // [D, D]
  Floats layer_scale1, layer_scale2;                                                // [D]
  Floats norm2_weight, norm2_bias;
  Floats fc1_weight, fc1_bias;  // [I, D] ([2I, D] for SwiGLU: gate rows, then value rows)
  Floats fc2_weight, fc2_bias;  // [D, I]
};

// timm's AttentionPoolLatent ("map" pooling), with its fused kv split into key and value.
struct MapHeadWeights {
  Floats latent;  // [1, 1, D]
  Floats query_weight, query_bias, key_weight, key_bias, value_weight, value_bias;
  Floats proj_weight, proj_bias;
  Floats norm_weight, norm_bias;
  Floats fc1_weight, fc1_bias, fc2_weight, fc2_bias;
};

struct VitWeights {
  Floats patch_weight, patch_bias;  // [D, C, p, p], [D]
  Floats class_token, distillation_token, register_tokens, position_embeddings;
  Floats norm_pre_weight, norm_pre_bias;
  std::vector<LayerWeights> layers;
  Floats final_norm_weight, final_norm_bias;
  Floats fc_norm_weight, fc_norm_bias;
  MapHeadWeights map_head;
  Floats pooler_weight, pooler_bias;        // [pooler_size, D]: transformers' ViT pooler
  Floats projection_weight;                 // [projection_dim, D]: CLIP's visual_projection
  Floats head_weight, head_bias;            // [classes, D]
  Floats dist_head_weight, dist_head_bias;  // [classes, D]
};

struct WeightSlot {
  std::string name;            // the name in model.safetensors (HF ViT names where they exist)
  std::vector<int64_t> shape;  // the shape the config implies
  Floats* values;              // where the loaded floats go
  // proj, fc1 and fc2 of each block: run in int8 by int8 models, and stored as int8 (with a
  // float32 "<name>_scale" of one scale per row) in folders with int8_weights.
  bool int8_storable = false;
};

std::string int8_scale_name(const std::string& weight_name);  // "<name>_scale"

// values[r, c] = q[r, c] * scale[r] for an int8 matrix and its float32 row scales.
Floats dequantize_rows(const StoredTensor& q, const StoredTensor& scale, const std::string& where);

// True for the matrices VitModel packs for GEMMs (every rank >= 2 ".weight"); the rest
// (norms, biases, tokens, positions) stay plain floats in the model.
bool is_packed_matrix(const WeightSlot& slot);

// Gives the floats of a packed matrix that the weights left empty (see load_weights'
// defer_matrices): a pointer into a mapping, or into `scratch` after a conversion. The
// pointer needs to stay valid only until the next call.
using MatrixSource = std::function<const float*(const std::string& name, Floats* scratch)>;

// Every tensor a model with this config has, in a fixed order, bound to `weights` (which is
// resized to the config's layer count). The single source of tensor names and shapes.
std::vector<WeightSlot> weight_slots(const VitConfig& config, VitWeights* weights);

// Refuses a config that claims more blocks than `tensors` tensors can hold, before the slots
// of a million blocks are allocated.
void check_tensor_count(const VitConfig& config, size_t tensors, const std::string& where);

// Fills weights from named tensors; the name set must equal the slots' exactly and every
// shape must match. Errors name `where` and the offending tensor. With defer_matrices the
// packed matrices are checked but left empty, for VitModel to read one at a time through a
// MatrixSource (so loading never holds every weight twice).
VitWeights load_weights(const VitConfig& config,
                        const std::function<const StoredTensor*(const std::string&)>& find,
                        const std::vector<std::string>& all_names, const std::string& where,
                        bool defer_matrices = false);

}  // namespace vit

#include "importer/timm_names.h"

#include <cstring>

#include "formats/error.h"
#include "formats/text.h"

namespace vit {

namespace {

struct Rename {
  const char* timm;  // suffix after the block prefix (or the whole name)
  const char* engine;
};

constexpr Rename kBlockRenames[] = {
    {"norm1.weight", "layernorm_before.weight"},
    {"norm1.bias", "layernorm_before.bias"},
    {"attn.q_norm.weight", "attention.attention.q_norm.weight"},
    {"attn.q_norm.bias", "attention.attention.q_norm.bias"},
    {"attn.k_norm.weight", "attention.attention.k_norm.weight"},
    {"attn.k_norm.bias", "attention.attention.k_norm.bias"},
    {"attn.proj.weight", "attention.output.dense.weight"},
    {"attn.proj.bias", "attention.output.dense.bias"},
    {"ls1.gamma", "layer_scale1.lambda1"},
    {"ls2.gamma", "layer_scale2.lambda1"},
    {"norm2.weight", "layernorm_after.weight"},
    {"norm2.bias", "layernorm_after.bias"},
    {"mlp.fc1.weight", "intermediate.dense.weight"},
    {"mlp.fc1.bias", "intermediate.dense.bias"},
    {"mlp.fc2.weight", "output.dense.weight"},
    {"mlp.fc2.bias", "output.dense.bias"},
};

// Names relative to the backbone ("vit." is prepended when the model has a head).
constexpr Rename kBackboneRenames[] = {
    {"cls_token", "embeddings.cls_token"},
    {"dist_token", "embeddings.distillation_token"},
    {"reg_token", "embeddings.register_tokens"},
    {"pos_embed", "embeddings.position_embeddings"},
    {"patch_embed.proj.weight", "embeddings.patch_embeddings.projection.weight"},
    {"patch_embed.proj.bias", "embeddings.patch_embeddings.projection.bias"},
    {"norm_pre.weight", "pre_layernorm.weight"},
    {"norm_pre.bias", "pre_layernorm.bias"},
    {"norm.weight", "layernorm.weight"},
    {"norm.bias", "layernorm.bias"},
    {"fc_norm.weight", "fc_norm.weight"},
    {"fc_norm.bias", "fc_norm.bias"},
    {"attn_pool.latent", "map_head.probe"},
    {"attn_pool.q.weight", "map_head.attention.query.weight"},
    {"attn_pool.q.bias", "map_head.attention.query.bias"},
    {"attn_pool.proj.weight", "map_head.attention.output.dense.weight"},
    {"attn_pool.proj.bias", "map_head.attention.output.dense.bias"},
    {"attn_pool.norm.weight", "map_head.layernorm.weight"},
    {"attn_pool.norm.bias", "map_head.layernorm.bias"},
    {"attn_pool.mlp.fc1.weight", "map_head.mlp.fc1.weight"},
    {"attn_pool.mlp.fc1.bias", "map_head.mlp.fc1.bias"},
    {"attn_pool.mlp.fc2.weight", "map_head.mlp.fc2.weight"},
    {"attn_pool.mlp.fc2.bias", "map_head.mlp.fc2.bias"},
};

constexpr Rename kHeadRenames[] = {
    {"head.weight", "classifier.weight"},
    {"head.bias", "classifier.bias"},
    {"head_dist.weight", "distillation_classifier.weight"},
    {"head_dist.bias", "distillation_classifier.bias"},
};

// A fused projection and the names its equal row blocks (dim 0) become.
struct Split {
  const char* timm;
  std::vector<const char*> parts;
};

const std::vector<Split>& block_splits() {
  static const std::vector<Split> splits = {
      {"attn.qkv.weight",
       {"attention.attention.query.weight", "attention.attention.key.weight", "attention.attention.value.weight"}},
      {"attn.qkv.bias",
       {"attention.attention.query.bias", "attention.attention.key.bias", "attention.attention.value.bias"}},
  };
  return splits;
}

const std::vector<Split>& backbone_splits() {
  static const std::vector<Split> splits = {
      {"attn_pool.kv.weight", {"map_head.attention.key.weight", "map_head.attention.value.weight"}},
      {"attn_pool.kv.bias", {"map_head.attention.key.bias", "map_head.attention.value.bias"}},
  };
  return splits;
}

FloatTensor to_float_tensor(const StoredTensor& t) { return FloatTensor{t.shape, t.to_float()}; }

void split_rows(const std::string& source, const StoredTensor& t, const std::vector<const char*>& parts,
                const std::string& target_prefix, FloatTensors* out, const std::string& where) {
  const int64_t n = static_cast<int64_t>(parts.size());
  if (t.shape.empty() || t.shape[0] % n != 0)
    fail(where, "tensor \"" + source + "\" of shape " + t.shape_string() + " cannot be split into " +
                    std::to_string(n) + " equal parts");
  FloatTensor whole = to_float_tensor(t);
  const size_t part_size = whole.values.size() / n;
  std::vector<int64_t> shape = t.shape;
  shape[0] /= n;
  for (int64_t i = 0; i < n; ++i) {
    FloatTensor part{shape, std::vector<float>(whole.values.begin() + i * part_size,
                                               whole.values.begin() + (i + 1) * part_size)};
    (*out)[target_prefix + parts[i]] = std::move(part);
  }
}

// "blocks.<i>." -> i, or -1.
int block_index(const std::string& name, std::string* rest) {
  if (!starts_with(name, "blocks.")) return -1;
  size_t dot = name.find('.', 7);
  if (dot == std::string::npos || dot == 7) return -1;
  int index = 0;
  for (size_t i = 7; i < dot; ++i) {
    if (name[i] < '0' || name[i] > '9' || index > 100000) return -1;
    index = index * 10 + (name[i] - '0');
  }
  *rest = name.substr(dot + 1);
  return index;
}

}  // namespace

FloatTensors rename_timm_tensors(const SourceTensors& timm, const VitConfig& config, const std::string& where) {
  const std::string base = config.num_classes > 0 ? "vit." : "";
  FloatTensors out;
  for (const auto& [name, tensor] : timm) {
    bool mapped = false;
    std::string rest;
    const int block = block_index(name, &rest);
    if (block >= 0) {
      const std::string layer = base + "encoder.layer." + std::to_string(block) + ".";
      for (const Rename& r : kBlockRenames)
        if (rest == r.timm) {
          out[layer + r.engine] = to_float_tensor(tensor);
          mapped = true;
        }
      for (const Split& s : block_splits())
        if (rest == s.timm) {
          split_rows(name, tensor, s.parts, layer, &out, where);
          mapped = true;
        }
    } else {
      for (const Rename& r : kBackboneRenames)
        if (name == r.timm) {
          out[base + r.engine] = to_float_tensor(tensor);
          mapped = true;
        }
      for (const Split& s : backbone_splits())
        if (name == s.timm) {
          split_rows(name, tensor, s.parts, base, &out, where);
          mapped = true;
        }
      for (const Rename& r : kHeadRenames)
        if (name == r.timm) {
          out[r.engine] = to_float_tensor(tensor);
          mapped = true;
        }
    }
    if (!mapped) fail(where, "tensor \"" + name + "\" is not part of a timm ViT that this importer knows");
  }
  return out;
}

}  // namespace vit

#include "engine/model/vit_model.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <mutex>

#include "engine/ops/attention.h"
#include "engine/ops/huge_pages.h"
#include "engine/ops/layer_norm.h"
#include "engine/ops/matmul.h"
#include "engine/model/packed_cache.h"
#include "engine/model/position_embedding.h"
#include "formats/error.h"

namespace vit {

namespace {

Epilogue activation_epilogue(Activation activation) {
  switch (activation) {
    case Activation::GeluErf: return Epilogue::GeluErf;
    case Activation::GeluTanh: return Epilogue::GeluTanh;
    case Activation::QuickGelu: return Epilogue::QuickGelu;
  }
  return Epilogue::GeluErf;
}

const float* data_or_null(const Floats& v) { return v.empty() ? nullptr : v.data(); }

// Packs linear layers, stacking the row blocks of several [outputs_each, inputs] matrices (and
// their biases) into one packed matrix so q/k/v (or k/v) run as a single GEMM. Matrices the
// weights left empty come from a MatrixSource. Plain matrices are released as soon as they are packed: the forward
// pass reads only the packed copy, and releasing them one by one keeps the peak memory of
// loading near one copy of the weights.
class LinearPacker {
 public:
  LinearPacker(const MatmulRunner& mm, Precision precision, const MatrixSource& source,
               std::map<const Floats*, WeightSlot> slots, PackedCache* cache)
      : mm_(mm), precision_(precision), source_(source), slots_(std::move(slots)), cache_(cache) {}

  // In int8 models the slots marked int8_storable (proj, fc1, fc2) run in int8; qkv runs in
  // bfloat16 because its errors reach the softmax, which amplifies them (measured on
  // vit_tiny_real: logits cosine 0.9980 with int8 qkv, 0.9993 with bfloat16); the rest (patch
  // embedding, heads, map head: raw pixels in or logits out, about 2% of the work) in float32.
  PackedLinear operator()(const std::vector<Floats*>& weights, const std::vector<const Floats*>& biases,
                          int64_t inputs, int64_t outputs_each, bool qkv = false) {
    if (precision_ != Precision::Int8) return pack(weights, biases, inputs, outputs_each, precision_);
    if (slots_.at(weights[0]).int8_storable) return pack(weights, biases, inputs, outputs_each, Precision::Int8);
    if (qkv) {
      try {
        return pack(weights, biases, inputs, outputs_each, Precision::BF16);
      } catch (const Error&) {  // a CPU with VNNI but without bfloat16
      }
    }
    return pack(weights, biases, inputs, outputs_each, Precision::F32);
  }

 private:
  PackedLinear pack(const std::vector<Floats*>& weights, const std::vector<const Floats*>& biases, int64_t inputs,
                    int64_t outputs_each, Precision precision) {
    const int64_t outputs = outputs_each * static_cast<int64_t>(weights.size());
    const std::vector<int64_t> blocks(weights.size(), outputs_each);
    Floats bias;
    for (const Floats* b : biases) bias.insert(bias.end(), b->begin(), b->end());
    if (bias.size() != static_cast<size_t>(outputs)) bias.clear();  // no biases (e.g. qkv_bias=False)
    std::string name = slots_.at(weights[0]).name;
    if (weights.size() > 1) name += "+" + std::to_string(weights.size());  // stacked blocks
    PackedLinear packed{cached(name, inputs, outputs, precision), std::move(bias)};
    if (packed.weight.empty())
      packed.weight = mm_.pack_blocks(inputs, blocks, precision, [&](size_t i) { return read(weights[i]); });
    if (cache_) cache_->keep(name, mm_.image_of(packed.weight));
    for (Floats* w : weights) Floats().swap(*w);
    return packed;
  }

  PackedWeights cached(const std::string& name, int64_t inputs, int64_t outputs, Precision precision) {
    const std::optional<PackedImage> saved = cache_ ? cache_->find(name) : std::nullopt;
    if (!saved) return {};
    try {
      return mm_.from_image(inputs, outputs, precision, *saved);
    } catch (const Error&) {  // packed for another layout: pack again
      return {};
    }
  }

  const float* read(Floats* weight) {
    if (!weight->empty()) return weight->data();
    const std::string& name = slots_.at(weight).name;
    if (!source_) fail("VitModel", "no values for matrix \"" + name + "\"");
    return source_(name, &converted_);
  }

  const MatmulRunner& mm_;
  Precision precision_;
  const MatrixSource& source_;
  std::map<const Floats*, WeightSlot> slots_;
  PackedCache* cache_;
  Floats converted_;  // reused across matrices: fewer page faults while loading
};

void run(const MatmulRunner& mm, int64_t rows, LinearInput x, const PackedLinear& l, LinearOutput y, Epilogue epilogue,
         const float* gamma = nullptr) {
  mm.linear({rows, l.weight.inputs(), l.weight.outputs()}, x, l.weight, data_or_null(l.bias), y, epilogue, gamma);
}

// Activation buffers for one forward call, carved from one block of huge pages (a few page
// faults on the first call instead of one per 4 KiB). The block only grows, and finished calls
// return it to the pool, so steady-state inference allocates nothing.
class Scratch {
 public:
  // Buffers of these sizes (in floats), each starting on a cache line; uninitialized.
  template <size_t N>
  std::array<float*, N> carve(const std::array<size_t, N>& sizes) {
    size_t total = 0;
    for (size_t n : sizes) total += padded(n);
    if (total > capacity_) {
      block_ = allocate_huge_pages(total * sizeof(float));
      capacity_ = total;
    }
    std::array<float*, N> starts;
    float* next = static_cast<float*>(block_.get());
    for (size_t i = 0; i < N; ++i) {
      starts[i] = next;
      next += padded(sizes[i]);
    }
    return starts;
  }

  Floats position;  // resampled position embeddings (inputs of another size only)

 private:
  static size_t padded(size_t floats) { return (floats + 15) / 16 * 16; }
  std::shared_ptr<void> block_;
  size_t capacity_ = 0;
};

}  // namespace

struct ScratchPool {
  std::mutex mutex;
  std::vector<std::unique_ptr<Scratch>> free;

  std::unique_ptr<Scratch> take() {
    std::lock_guard<std::mutex> lock(mutex);
    if (free.empty()) return std::make_unique<Scratch>();
    std::unique_ptr<Scratch> s = std::move(free.back());
    free.pop_back();
    return s;
  }
  void give_back(std::unique_ptr<Scratch> s) {
    std::lock_guard<std::mutex> lock(mutex);
    free.push_back(std::move(s));
  }
};

VitModel::VitModel(VitConfig config, VitWeights weights, Precision precision, const MatrixSource& matrices,
                   PackedCache* cache)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      precision_(precision),
      matmul_(std::make_unique<MatmulRunner>()),
      scratch_(std::make_unique<ScratchPool>()) {
  const VitConfig& c = config_;
  const int64_t D = c.hidden_size, I = c.intermediate_size;
  std::map<const Floats*, WeightSlot> slots;
  for (const WeightSlot& slot : weight_slots(c, &weights_)) slots[slot.values] = slot;
  LinearPacker pack_stacked(*matmul_, precision, matrices, std::move(slots), cache);
  auto pack = [&](Floats& weight, const Floats& bias, int64_t inputs, int64_t outputs) {
    return pack_stacked({&weight}, {&bias}, inputs, outputs);
  };
  const int64_t patch_len = static_cast<int64_t>(c.num_channels) * c.patch_size * c.patch_size;
  patch_ = pack(weights_.patch_weight, weights_.patch_bias, patch_len, D);
  for (LayerWeights& l : weights_.layers) {
    layers_.push_back({pack_stacked({&l.query_weight, &l.key_weight, &l.value_weight},
                                    {&l.query_bias, &l.key_bias, &l.value_bias}, D, D, /*qkv=*/true),
                       pack(l.proj_weight, l.proj_bias, D, D), pack(l.fc1_weight, l.fc1_bias, D, I),
                       pack(l.fc2_weight, l.fc2_bias, I, D)});
  }
  if (c.pooling == Pooling::Map) {
    MapHeadWeights& m = weights_.map_head;
    map_query_ = pack(m.query_weight, m.query_bias, D, D);
    map_kv_ = pack_stacked({&m.key_weight, &m.value_weight}, {&m.key_bias, &m.value_bias}, D, D);
    map_proj_ = pack(m.proj_weight, m.proj_bias, D, D);
    map_fc1_ = pack(m.fc1_weight, m.fc1_bias, D, I);
    map_fc2_ = pack(m.fc2_weight, m.fc2_bias, I, D);
  }
  if (c.num_classes > 0) {
    head_ = pack(weights_.head_weight, weights_.head_bias, D, c.num_classes);
    if (c.distillation_token)
      dist_head_ = pack(weights_.dist_head_weight, weights_.dist_head_bias, D, c.num_classes);
  }
  packed_weights_from_cache_ = cache && cache->all_found();
}

VitModel::~VitModel() = default;
VitModel::VitModel(VitModel&&) noexcept = default;
VitModel& VitModel::operator=(VitModel&&) noexcept = default;

ForwardResult VitModel::forward(const float* pixels, int batch, int height, int width, unsigned outputs,
                                OpTimes* times) const {
  OpStopwatch watch(times);
  const VitConfig& c = config_;
  const VitWeights& w = weights_;
  const int p = c.patch_size, C = c.num_channels, D = c.hidden_size, I = c.intermediate_size;
  if (batch <= 0) fail("forward", "batch must be positive");
  if (height <= 0 || width <= 0 || height % p != 0 || width % p != 0)
    fail("forward", "input size " + std::to_string(height) + "x" + std::to_string(width) +
                        " is not a positive multiple of the patch size " + std::to_string(p));
  if ((outputs & kLogits) && c.num_classes == 0) fail("forward", "this model has no classifier head, so no logits");
  const int gh = height / p, gw = width / p, patches = gh * gw;
  const int prefix = c.prefix_tokens(), T = prefix + patches;
  const int64_t M = static_cast<int64_t>(batch) * T;
  const MatmulRunner& mm = *matmul_;
  std::unique_ptr<Scratch> held = scratch_->take();
  Scratch& s = *held;
  struct Return {
    ScratchPool& pool;
    std::unique_ptr<Scratch>& scratch;
    ~Return() { pool.give_back(std::move(scratch)); }
  } give_back_on_exit{*scratch_, held};
  const int64_t patch_len = static_cast<int64_t>(C) * p * p, patch_rows = static_cast<int64_t>(batch) * patches;
  const int hd = c.head_dim();
  const AttentionShape self_attention{batch, c.num_heads, hd, T, T};
  const AttentionKernel attention_kernel = attention_kernel_for(precision_);
  const auto buffers = s.carve<8>({static_cast<size_t>(patch_rows * patch_len), static_cast<size_t>(patch_rows * D),
                                   static_cast<size_t>(M * D), static_cast<size_t>(M * D),
                                   static_cast<size_t>(M * 3 * D), static_cast<size_t>(M * D),
                                   static_cast<size_t>(M * I), static_cast<size_t>(attention_scratch_size(self_attention, attention_kernel))});
  float *const unfolded = buffers[0], *const patch_tokens = buffers[1], *const x = buffers[2],
               *const normed = buffers[3], *const qkv = buffers[4], *const attended = buffers[5],
               *const hidden = buffers[6], *const scores = buffers[7];

  // 1. Patch embedding: unfold each p x p patch (channel-major, like the conv weight) and
  //    project it with one GEMM.
#pragma omp parallel for schedule(static)
  for (int64_t bp = 0; bp < patch_rows; ++bp) {
    const int64_t b = bp / patches, py = (bp % patches) / gw, px = bp % gw;
    float* dst = &unfolded[bp * patch_len];
    for (int ch = 0; ch < C; ++ch)
      for (int ky = 0; ky < p; ++ky) {
        const float* src = pixels + ((b * C + ch) * height + py * p + ky) * static_cast<int64_t>(width) + px * p;
        std::memcpy(dst + (ch * p + ky) * p, src, sizeof(float) * p);
      }
  }
  run(mm, patch_rows, unfolded, patch_, patch_tokens, Epilogue::None);
  watch.lap(Op::PatchEmbed);

  // 2. Position embeddings, resampled when the grid differs from the trained one.
  const int pos_prefix = c.pos_embed_covers_prefix ? prefix : 0;
  const Floats* pos = &w.position_embeddings;
  if (gh != c.grid_height() || gw != c.grid_width()) {
    std::vector<float> grid = resample_position_grid(w.position_embeddings.data() + pos_prefix * D, D,
                                                     c.grid_height(), c.grid_width(), gh, gw);
    s.position.assign(w.position_embeddings.begin(), w.position_embeddings.begin() + static_cast<int64_t>(pos_prefix) * D);
    s.position.insert(s.position.end(), grid.begin(), grid.end());
    pos = &s.position;
  }

  // 3. Token sequence: [class, distillation, registers..., patches...] plus positions.
  for (int b = 0; b < batch; ++b) {
    float* seq = x + static_cast<int64_t>(b) * T * D;
    float* slot = seq;
    auto put_prefix = [&](const Floats& tokens, int count) {
      std::copy(tokens.begin(), tokens.begin() + static_cast<int64_t>(count) * D, slot);
      slot += static_cast<int64_t>(count) * D;
    };
    if (c.class_token) put_prefix(w.class_token, 1);
    if (c.distillation_token) put_prefix(w.distillation_token, 1);
    if (c.register_tokens) put_prefix(w.register_tokens, c.register_tokens);
    std::copy_n(&patch_tokens[static_cast<size_t>(b) * patches * D], static_cast<size_t>(patches) * D, slot);
    float* first_positioned = c.pos_embed_covers_prefix ? seq : seq + static_cast<int64_t>(prefix) * D;
    const float* position = pos->data();
    for (size_t i = 0; i < pos->size(); ++i) first_positioned[i] += position[i];
  }
  watch.lap(Op::Tokens);
  if (c.norm_pre) layer_norm(x, x, M, D, w.norm_pre_weight.data(), w.norm_pre_bias.data(), c.layer_norm_eps);
  watch.lap(Op::LayerNorm);

  // 4. Pre-norm transformer blocks. With bfloat16 weights, LayerNorm and fc1 write bfloat16,
  //    so qkv, fc1 and fc2 read their input without converting it (same values: both round
  //    to nearest even).
  const bool bf16 = precision_ == Precision::BF16;
  uint16_t* const normed16 = reinterpret_cast<uint16_t*>(normed);
  uint16_t* const hidden16 = reinterpret_cast<uint16_t*>(hidden);
  const LinearInput normed_in = bf16 ? LinearInput(normed16) : LinearInput(normed);
  const LinearInput hidden_in = bf16 ? LinearInput(hidden16) : LinearInput(hidden);
  auto norm = [&](const Floats& weight, const Floats& bias) {
    if (bf16)
      layer_norm(x, normed16, M, D, weight.data(), bias.data(), c.layer_norm_eps);
    else
      layer_norm(x, normed, M, D, weight.data(), bias.data(), c.layer_norm_eps);
  };
  for (int i = 0; i < c.num_layers; ++i) {
    const LayerWeights& l = w.layers[i];
    norm(l.norm1_weight, l.norm1_bias);
    watch.lap(Op::LayerNorm);
    const LayerLinears& linear = layers_[i];
    run(mm, M, normed_in, linear.qkv, qkv, Epilogue::None);
    watch.lap(Op::QkvGemm);
    if (c.qk_norm) {
      layer_norm(qkv, qkv, M, 3 * D, c.num_heads, hd, l.q_norm_weight.data(),
                 l.q_norm_bias.data(), c.layer_norm_eps);
      layer_norm(qkv + D, qkv + D, M, 3 * D, c.num_heads, hd, l.k_norm_weight.data(),
                 l.k_norm_bias.data(), c.layer_norm_eps);
    }
    const int64_t qkv_batch = static_cast<int64_t>(T) * 3 * D;
    multi_head_attention(mm, self_attention, {qkv, qkv_batch, 3 * D}, {qkv + D, qkv_batch, 3 * D},
                         {qkv + 2 * D, qkv_batch, 3 * D}, attended, static_cast<int64_t>(T) * D, D,
                         scores, attention_kernel);
    watch.lap(Op::Attention);
    run(mm, M, attended, linear.proj, x, Epilogue::AddToOutput, data_or_null(l.layer_scale1));
    watch.lap(Op::ProjGemm);
    norm(l.norm2_weight, l.norm2_bias);
    watch.lap(Op::LayerNorm);
    run(mm, M, normed_in, linear.fc1, bf16 ? LinearOutput(hidden16) : LinearOutput(hidden),
        activation_epilogue(c.activation));
    watch.lap(Op::Fc1Gemm);
    run(mm, M, hidden_in, linear.fc2, x, Epilogue::AddToOutput, data_or_null(l.layer_scale2));
    watch.lap(Op::Fc2Gemm);
  }
  if (c.final_norm)
    layer_norm(x, x, M, D, w.final_norm_weight.data(), w.final_norm_bias.data(), c.layer_norm_eps);
  watch.lap(Op::LayerNorm);

  ForwardResult result;
  result.batch = batch;
  result.tokens = T;
  if (outputs & kFeatures) result.features.assign(x, x + M * D);
  if (!(outputs & (kLogits | kPreLogits))) return result;

  // 5. Pooling to one vector per image.
  std::vector<float> pooled(static_cast<size_t>(batch) * D, 0.0f);
  const float* tokens = x;
  auto token_row = [&](int b, int t) { return tokens + (static_cast<int64_t>(b) * T + t) * D; };
  switch (c.pooling) {
    case Pooling::Token:
      for (int b = 0; b < batch; ++b) {
        std::copy_n(token_row(b, 0), D, &pooled[static_cast<size_t>(b) * D]);
        if (c.distillation_token)  // DeiT distilled: the mean of class and distillation tokens
          for (int d = 0; d < D; ++d) pooled[b * D + d] = (pooled[b * D + d] + token_row(b, 1)[d]) / 2.0f;
      }
      break;
    case Pooling::Avg:
    case Pooling::Max:
    case Pooling::AvgMax:
      for (int b = 0; b < batch; ++b)
        for (int d = 0; d < D; ++d) {
          double sum = 0.0;
          float max = token_row(b, prefix)[d];
          for (int t = prefix; t < T; ++t) {
            sum += token_row(b, t)[d];
            max = std::max(max, token_row(b, t)[d]);
          }
          const float mean = static_cast<float>(sum / patches);
          pooled[b * D + d] = c.pooling == Pooling::Avg ? mean : c.pooling == Pooling::Max ? max : 0.5f * (mean + max);
        }
      break;
    case Pooling::Map: {
      const MapHeadWeights& m = w.map_head;
      std::vector<float> query(D), kv(static_cast<size_t>(M) * 2 * D), attended(static_cast<size_t>(batch) * D);
      run(mm, 1, m.latent.data(), map_query_, query.data(), Epilogue::None);
      run(mm, M, tokens, map_kv_, kv.data(), Epilogue::None);
      const int64_t kv_batch = static_cast<int64_t>(T) * 2 * D;
      const float* keys = kv.data() + static_cast<int64_t>(prefix) * 2 * D;  // attend to patch tokens only
      const AttentionShape pool_attention{batch, c.num_heads, hd, 1, patches};
      std::vector<float> scores(attention_scratch_size(pool_attention));
      multi_head_attention(mm, pool_attention, {query.data(), 0, D}, {keys, kv_batch, 2 * D}, {keys + D, kv_batch, 2 * D},
                           attended.data(), D, D, scores.data());
      run(mm, batch, attended.data(), map_proj_, pooled.data(), Epilogue::None);
      std::vector<float> normed(pooled.size()), hidden(static_cast<size_t>(batch) * I);
      layer_norm(pooled.data(), normed.data(), batch, D, m.norm_weight.data(), m.norm_bias.data(), c.layer_norm_eps);
      run(mm, batch, normed.data(), map_fc1_, hidden.data(), activation_epilogue(c.activation));
      run(mm, batch, hidden.data(), map_fc2_, pooled.data(), Epilogue::AddToOutput);
      break;
    }
  }
  if (c.fc_norm)
    layer_norm(pooled.data(), pooled.data(), batch, D, w.fc_norm_weight.data(), w.fc_norm_bias.data(), c.layer_norm_eps);

  watch.lap(Op::Pool);

  // 6. Classifier head(s).
  if (outputs & kLogits) {
    const int K = c.num_classes;
    result.logits.resize(static_cast<size_t>(batch) * K);
    if (!c.distillation_token) {
      run(mm, batch, pooled.data(), head_, result.logits.data(), Epilogue::None);
    } else {
      std::vector<float> cls(static_cast<size_t>(batch) * D), dist(cls.size()), dist_logits(result.logits.size());
      for (int b = 0; b < batch; ++b) {
        std::copy_n(token_row(b, 0), D, &cls[static_cast<size_t>(b) * D]);
        std::copy_n(token_row(b, 1), D, &dist[static_cast<size_t>(b) * D]);
      }
      run(mm, batch, cls.data(), head_, result.logits.data(), Epilogue::None);
      run(mm, batch, dist.data(), dist_head_, dist_logits.data(), Epilogue::None);
      for (size_t i = 0; i < result.logits.size(); ++i) result.logits[i] = (result.logits[i] + dist_logits[i]) / 2.0f;
    }
  }
  if (outputs & kPreLogits) result.pre_logits = std::move(pooled);
  watch.lap(Op::Head);
  return result;
}

}  // namespace vit

#include "engine/model/packed_linears.h"

#include <map>
#include <string>

#include "engine/model/packed_cache.h"
#include "formats/error.h"

namespace vit {

namespace {

// Packs linear layers, stacking the row blocks of several [outputs_each, inputs] matrices (and
// their biases) into one packed matrix so q/k/v (or k/v) run as a single GEMM. Matrices the
// weights left empty come from a MatrixSource. Plain matrices are released as soon as they are
// packed: the forward pass reads only the packed copy, and releasing them one by one keeps the
// peak memory of loading near one copy of the weights.
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

}  // namespace

namespace {

void report_progress(const LoadProgress& progress, float fraction) {
  if (progress && !progress(fraction)) throw Aborted("load: stopped by the progress callback");
}

}  // namespace

ModelLinears pack_linears(const VitConfig& c, VitWeights& w, Precision precision, const MatmulRunner& mm,
                          const MatrixSource& matrices, PackedCache* cache, const LoadProgress& progress) {
  const int64_t D = c.hidden_size, I = c.intermediate_size, fc1_outputs = c.swiglu ? 2 * I : I;
  std::map<const Floats*, WeightSlot> slots;
  for (const WeightSlot& slot : weight_slots(c, &w)) slots[slot.values] = slot;
  LinearPacker pack_stacked(mm, precision, matrices, std::move(slots), cache);
  auto pack = [&](Floats& weight, const Floats& bias, int64_t inputs, int64_t outputs) {
    return pack_stacked({&weight}, {&bias}, inputs, outputs);
  };
  ModelLinears linears;
  const int64_t patch_len = static_cast<int64_t>(c.num_channels) * c.patch_size * c.patch_size;
  linears.patch = pack(w.patch_weight, w.patch_bias, patch_len, D);
  report_progress(progress, 0.0f);
  for (LayerWeights& l : w.layers) {
    report_progress(progress, static_cast<float>(linears.layers.size()) / static_cast<float>(c.num_layers));
    linears.layers.push_back({pack_stacked({&l.query_weight, &l.key_weight, &l.value_weight},
                                           {&l.query_bias, &l.key_bias, &l.value_bias}, D, D, /*qkv=*/true),
                              pack(l.proj_weight, l.proj_bias, D, D), pack(l.fc1_weight, l.fc1_bias, D, fc1_outputs),
                              pack(l.fc2_weight, l.fc2_bias, I, D)});
  }
  if (c.pooling == Pooling::Map) {
    MapHeadWeights& m = w.map_head;
    linears.map = {pack(m.query_weight, m.query_bias, D, D),
                   pack_stacked({&m.key_weight, &m.value_weight}, {&m.key_bias, &m.value_bias}, D, D),
                   pack(m.proj_weight, m.proj_bias, D, D), pack(m.fc1_weight, m.fc1_bias, D, I),
                   pack(m.fc2_weight, m.fc2_bias, I, D)};
  }
  if (c.num_classes > 0) {
    linears.head = pack(w.head_weight, w.head_bias, D, c.num_classes);
    if (c.distilled_head) linears.dist_head = pack(w.dist_head_weight, w.dist_head_bias, D, c.num_classes);
  }
  if (c.pooler_output == PoolerOutput::DenseTanh)
    linears.pooler = pack(w.pooler_weight, w.pooler_bias, D, c.pooler_size);
  const Floats no_bias;
  if (c.projection_dim > 0) linears.projection = pack(w.projection_weight, no_bias, D, c.projection_dim);
  report_progress(progress, 1.0f);
  return linears;
}

void run_linear(const MatmulRunner& mm, int64_t rows, LinearInput x, const PackedLinear& linear, LinearOutput y,
                Epilogue epilogue, const float* gamma) {
  const float* bias = linear.bias.empty() ? nullptr : linear.bias.data();
  mm.linear({rows, linear.weight.inputs(), linear.weight.outputs()}, x, linear.weight, bias, y, epilogue, gamma);
}

Epilogue activation_epilogue(Activation activation) {
  switch (activation) {
    case Activation::GeluErf: return Epilogue::GeluErf;
    case Activation::GeluTanh: return Epilogue::GeluTanh;
    case Activation::QuickGelu: return Epilogue::QuickGelu;
  }
  return Epilogue::GeluErf;
}

}  // namespace vit

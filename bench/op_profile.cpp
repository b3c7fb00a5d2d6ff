#include "bench/op_profile.h"

#include <cstring>
#include <vector>

#include "bench/latency_stats.h"
#include "engine/attention.h"
#include "engine/layer_norm.h"
#include "engine/matmul.h"

namespace vit {

namespace {

const float* data_or_null(const Floats& v) { return v.empty() ? nullptr : v.data(); }

// Per-iteration sums by name; each becomes a median at the end.
class Accounts {
 public:
  template <typename F>
  void time(const std::string& name, F&& work) {
    const double start = now_ms();
    work();
    current_[name] += now_ms() - start;
  }
  void end_iteration(bool record) {
    if (record)
      for (const auto& [name, ms] : current_) samples_[name].push_back(ms);
    current_.clear();
  }
  double median(const std::string& name) const {
    auto it = samples_.find(name);
    return it == samples_.end() ? 0.0 : summarize(it->second).median_ms;
  }

 private:
  std::map<std::string, double> current_;
  std::map<std::string, std::vector<double>> samples_;
};

}  // namespace

OpProfile profile_forward(const VitModel& model, const float* pixels, int batch, int warmup, int iters) {
  const VitConfig& c = model.config();
  const VitWeights& w = model.weights();
  const int p = c.patch_size, C = c.num_channels, D = c.hidden_size, I = c.intermediate_size;
  const int H = c.image_height, W = c.image_width, gw = W / p, patches = (H / p) * gw;
  const int T = c.prefix_tokens() + patches, hd = c.head_dim();
  const int64_t M = static_cast<int64_t>(batch) * T, patch_len = static_cast<int64_t>(C) * p * p;
  MatmulRunner mm;

  // Weights packed once, as VitModel does at load.
  auto pack = [&](const Floats& weight, int64_t inputs) {
    return mm.pack(weight.data(), inputs, static_cast<int64_t>(weight.size()) / inputs);
  };
  const PackedWeights patch_weight = pack(w.patch_weight, patch_len);
  const PackedWeights head_weight = c.num_classes > 0 ? pack(w.head_weight, D) : PackedWeights();
  std::vector<PackedWeights> qkv_weight, proj_weight, fc1_weight, fc2_weight;
  std::vector<Floats> qkv_bias(c.num_layers);
  for (int i = 0; i < c.num_layers; ++i) {
    const LayerWeights& l = w.layers[i];
    Floats stacked;
    for (const Floats* part : {&l.query_weight, &l.key_weight, &l.value_weight})
      stacked.insert(stacked.end(), part->begin(), part->end());
    for (const Floats* part : {&l.query_bias, &l.key_bias, &l.value_bias})
      qkv_bias[i].insert(qkv_bias[i].end(), part->begin(), part->end());
    qkv_weight.push_back(pack(stacked, D));
    proj_weight.push_back(pack(l.proj_weight, D));
    fc1_weight.push_back(pack(l.fc1_weight, D));
    fc2_weight.push_back(pack(l.fc2_weight, I));
  }
  std::vector<float> unfolded(static_cast<size_t>(batch) * patches * patch_len);
  std::vector<float> patch_tokens(static_cast<size_t>(batch) * patches * D);
  std::vector<float> x(static_cast<size_t>(M) * D), normed(x.size()), qkv(static_cast<size_t>(M) * 3 * D),
      attended(x.size()), hidden(static_cast<size_t>(M) * I), hidden_plain(hidden.size()),
      pooled(static_cast<size_t>(batch) * D), logits(static_cast<size_t>(batch) * c.num_classes);
  const AttentionShape self_attention{batch, c.num_heads, hd, T, T};
  std::vector<float> scores(static_cast<size_t>(attention_scratch_size(self_attention)));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.01f * static_cast<float>(i % 97);  // finite, varied

  Accounts acc;
  for (int iter = 0; iter < warmup + iters; ++iter) {
    acc.time("patch_embed", [&] {
#pragma omp parallel for schedule(static)
      for (int64_t bp = 0; bp < static_cast<int64_t>(batch) * patches; ++bp) {
        const int64_t b = bp / patches, py = (bp % patches) / gw, px = bp % gw;
        for (int ch = 0; ch < C; ++ch)
          for (int ky = 0; ky < p; ++ky)
            std::memcpy(&unfolded[bp * patch_len + (ch * p + ky) * p],
                        pixels + ((b * C + ch) * H + py * p + ky) * static_cast<int64_t>(W) + px * p, sizeof(float) * p);
      }
      mm.linear({static_cast<int64_t>(batch) * patches, patch_len, D}, unfolded.data(), patch_weight,
                data_or_null(w.patch_bias), patch_tokens.data(), Epilogue::None);
    });
    for (int i = 0; i < c.num_layers; ++i) {
      const LayerWeights& l = w.layers[i];
      acc.time("layer_norm", [&] {
        layer_norm(x.data(), normed.data(), M, D, l.norm1_weight.data(), l.norm1_bias.data(), c.layer_norm_eps);
      });
      acc.time("gemm:qkv", [&] {
        mm.linear({M, D, 3 * D}, normed.data(), qkv_weight[i], data_or_null(qkv_bias[i]), qkv.data(),
                  Epilogue::None);
      });
      acc.time("attention_core", [&] {
        const int64_t qkv_batch = static_cast<int64_t>(T) * 3 * D;
        multi_head_attention(mm, self_attention, {qkv.data(), qkv_batch, 3 * D}, {qkv.data() + D, qkv_batch, 3 * D},
                             {qkv.data() + 2 * D, qkv_batch, 3 * D}, attended.data(), static_cast<int64_t>(T) * D, D,
                             scores.data());
      });
      acc.time("gemm:proj", [&] {
        mm.linear({M, D, D}, attended.data(), proj_weight[i], l.proj_bias.data(), x.data(),
                  Epilogue::AddToOutput);
      });
      acc.time("layer_norm", [&] {
        layer_norm(x.data(), normed.data(), M, D, l.norm2_weight.data(), l.norm2_bias.data(), c.layer_norm_eps);
      });
      // fc1 with and without the GELU post-op; the order alternates so neither always finds
      // the weights already in cache.
      auto fc1 = [&](Epilogue e, float* out) {
        mm.linear({M, D, I}, normed.data(), fc1_weight[i], l.fc1_bias.data(), out, e);
      };
      const Epilogue act = c.activation == Activation::GeluErf ? Epilogue::GeluErf
                           : c.activation == Activation::GeluTanh ? Epilogue::GeluTanh : Epilogue::QuickGelu;
      if (iter % 2) acc.time("fc1_plain", [&] { fc1(Epilogue::None, hidden_plain.data()); });
      acc.time("fc1_act", [&] { fc1(act, hidden.data()); });
      if (!(iter % 2)) acc.time("fc1_plain", [&] { fc1(Epilogue::None, hidden_plain.data()); });
      acc.time("gemm:fc2", [&] {
        mm.linear({M, I, D}, hidden.data(), fc2_weight[i], l.fc2_bias.data(), x.data(), Epilogue::AddToOutput);
      });
      // Keep the residual stream from growing without bound over many iterations.
      if (i == c.num_layers - 1) std::copy(normed.begin(), normed.end(), x.begin());
    }
    acc.time("layer_norm", [&] {
      layer_norm(x.data(), x.data(), M, D, w.final_norm_weight.data(), w.final_norm_bias.data(), c.layer_norm_eps);
    });
    for (int b = 0; b < batch; ++b) std::copy_n(&x[static_cast<size_t>(b) * T * D], D, &pooled[static_cast<size_t>(b) * D]);
    if (c.num_classes > 0)
      acc.time("gemm:head", [&] {
        mm.linear({batch, D, c.num_classes}, pooled.data(), head_weight, w.head_bias.data(), logits.data(),
                  Epilogue::None);
      });
    acc.end_iteration(iter >= warmup);
  }

  OpProfile prof;
  const double fc1_plain = acc.median("fc1_plain"), fc1_act = acc.median("fc1_act");
  const double gelu = fc1_act - fc1_plain;
  auto gemm_flops = [&](const std::string& kind) {
    const double m = static_cast<double>(M);
    if (kind == "qkv") return 2 * m * D * 3 * D * c.num_layers;
    if (kind == "proj") return 2 * m * D * D * c.num_layers;
    if (kind == "fc1") return 2 * m * D * I * c.num_layers;
    if (kind == "fc2") return 2 * m * I * D * c.num_layers;
    return 2.0 * batch * D * c.num_classes;
  };
  double gemm = 0;
  for (const char* kind : {"qkv", "proj", "fc1", "fc2", "head"}) {
    const double ms = std::string(kind) == "fc1" ? fc1_plain : acc.median(std::string("gemm:") + kind);
    prof.gemm_ms[kind] = ms;
    prof.gemm_gflops[kind] = ms > 0 ? gemm_flops(kind) / (ms * 1e6) : 0;
    gemm += ms;
  }
  prof.ms["gemm"] = gemm;
  prof.ms["gelu_epilogue"] = gelu;
  prof.ms["attention_core"] = acc.median("attention_core");
  prof.ms["layer_norm"] = acc.median("layer_norm");
  prof.ms["patch_embed"] = acc.median("patch_embed");
  for (const auto& [name, ms] : prof.ms) prof.replay_ms += ms;

  std::vector<double> forward = time_runs([&] { model.forward(pixels, batch, H, W, kLogits); }, 1, iters);
  prof.forward_ms = summarize(forward).median_ms;
  prof.other_ms = prof.forward_ms - prof.replay_ms;
  prof.ms["other"] = prof.other_ms;
  return prof;
}

}  // namespace vit

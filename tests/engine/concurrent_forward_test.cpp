// One model per precision, called from several threads at once at three input sizes (two of
// them resample the position embeddings, so the resampling each Scratch keeps must follow the
// size): every call returns exactly what a lone call returns.
#include <atomic>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/model/vit_model.h"
#include "formats/error.h"

namespace vit {
namespace {

// Random weights for every tensor the config has: norm weights near 1, matrices scaled by
// 1/sqrt(fan-in), the rest small.
VitWeights random_weights(const VitConfig& config, unsigned seed) {
  VitWeights weights;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const WeightSlot& slot : weight_slots(config, &weights)) {
    size_t count = 1;
    for (int64_t d : slot.shape) count *= static_cast<size_t>(d);
    const bool norm_weight =
        slot.name.find("norm") != std::string::npos && slot.name.find(".weight") != std::string::npos;
    const float scale = slot.shape.size() >= 2 ? 1.0f / std::sqrt(float(slot.shape.back())) : 0.1f;
    slot.values->resize(count);
    for (float& v : *slot.values) v = (norm_weight && slot.shape.size() == 1 ? 1.0f : 0.0f) + scale * uniform(rng);
  }
  return weights;
}

VitConfig small_config(Pooling pooling) {
  VitConfig c;
  c.image_height = c.image_width = 32;
  c.patch_size = 8;
  c.hidden_size = 64;
  c.num_layers = 2;
  c.num_heads = 4;
  c.intermediate_size = 128;
  c.num_classes = 10;
  c.pooling = pooling;
  if (pooling == Pooling::Map) {  // SigLIP-like: registers instead of a class token, norm_pre
    c.class_token = false;
    c.register_tokens = 2;
    c.pos_embed_covers_prefix = false;
    c.norm_pre = true;
  } else {  // distilled DeiT with LayerScale and qk_norm
    c.distillation_token = true;
    c.layer_scale = true;
    c.qk_norm = true;
  }
  c.validate("small_config");
  return c;
}

struct Input {
  int batch, height, width;
  std::vector<float> pixels;
};

Input random_input(int batch, int height, int width, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  Input in{batch, height, width, std::vector<float>(size_t(batch) * 3 * height * width)};
  for (float& v : in.pixels) v = normal(rng);
  return in;
}

ForwardResult run(const VitModel& model, const Input& in) {
  return model.forward(in.pixels.data(), in.batch, in.height, in.width, kLogits | kPreLogits | kFeatures);
}

bool same(const ForwardResult& a, const ForwardResult& b) {
  return a.batch == b.batch && a.tokens == b.tokens && a.logits == b.logits && a.pre_logits == b.pre_logits &&
         a.features == b.features;
}

class ConcurrentForward : public ::testing::TestWithParam<Pooling> {};

TEST_P(ConcurrentForward, EveryPrecisionFromFourThreadsMatchesALoneCall) {
  const VitConfig config = small_config(GetParam());
  std::vector<VitModel> models;
  for (Precision precision : {Precision::F32, Precision::BF16, Precision::Int8}) {
    try {
      models.emplace_back(config, random_weights(config, 1), precision);
    } catch (const Error& e) {  // this CPU lacks the precision
      std::cout << "[ skipped  ] " << precision_name(precision) << ": " << e.what() << "\n";
    }
  }
  const std::vector<Input> inputs = {random_input(2, 32, 32, 2), random_input(3, 24, 40, 3),
                                     random_input(1, 40, 16, 4)};
  std::vector<ForwardResult> expected;
  for (const VitModel& model : models)
    for (const Input& in : inputs) expected.push_back(run(model, in));

  const size_t cases = expected.size();
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int thread = 0; thread < 4; ++thread)
    threads.emplace_back([&] {
      for (size_t i = 0; i < 4 * cases; ++i) {
        const size_t k = i % cases;  // every thread on the same case at about the same time
        if (!same(run(models[k / inputs.size()], inputs[k % inputs.size()]), expected[k])) ++mismatches;
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(expected[0].logits.size(), 2u * 10);
}

INSTANTIATE_TEST_SUITE_P(Poolings, ConcurrentForward, ::testing::Values(Pooling::Token, Pooling::Map),
                         [](const auto& info) { return std::string(pooling_name(info.param)); });

}  // namespace
}  // namespace vit

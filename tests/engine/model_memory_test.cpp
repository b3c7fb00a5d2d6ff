// VitModel::weight_bytes and activation_bytes: what the model holds and what one call works in.
#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "formats/safetensors.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

const std::string& folder() {
  static const std::string dir = test::test_data("engine") + "/dinov2_swiglu";
  return dir;
}

// Bytes of the float32 tensors the model runs on (the stored mask token is skipped).
size_t stored_weight_bytes() {
  size_t bytes = 0;
  const SafetensorsFile file = SafetensorsFile::open(folder() + "/model.safetensors");
  for (const auto& [name, tensor] : file.tensors())
    if (name != "embeddings.mask_token") bytes += sizeof(float) * tensor.numel();
  return bytes;
}

TEST(ModelMemory, WeightBytesCoverEveryStoredWeightAndShrinkInBfloat16) {
  const size_t stored = stored_weight_bytes();
  const size_t f32 = load_model(folder(), Precision::F32).weight_bytes();
  EXPECT_GE(f32, stored);
  EXPECT_LE(f32, 4 * stored);  // packing pads these tiny matrices to oneDNN's 16 x 64 blocks
  EXPECT_LT(load_model(folder(), Precision::BF16).weight_bytes(), f32);
}

TEST(ModelMemory, ActivationBytesHoldTheCallsBuffersAndGrowWithTheBatch) {
  const VitModel model = load_model(folder());
  const VitConfig& c = model.config();
  const int64_t tokens = 1 + 2 * 2, D = c.hidden_size;  // 8x8 pixels, patch 4
  // At least the residual stream, LayerNorm output, qkv, attention output and the MLP's gate/value.
  const int64_t floats = tokens * (D + D + 3 * D + D + 2 * c.intermediate_size);
  const size_t one = model.activation_bytes(1, 8, 8), two = model.activation_bytes(2, 8, 8);
  EXPECT_GE(one, sizeof(float) * floats);
  EXPECT_GT(two, one);
  EXPECT_LE(two, 2 * one);
  EXPECT_GT(model.activation_bytes(1, 16, 16), one);  // 17 tokens instead of 5
}

}  // namespace
}  // namespace vit

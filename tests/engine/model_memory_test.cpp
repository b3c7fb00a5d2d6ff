// VitModel::weight_bytes and activation_bytes: what the model holds and what one call works in.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "engine/model/model_folder.h"
#include "engine/model/vit_config.h"
#include "engine/model/vit_weights.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "formats/mapped_file.h"
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

// Resident bytes of this process's mappings of files whose path ends with `suffix`
// (/proc/self/smaps).
size_t resident_bytes_of_mapped(const std::string& suffix) {
  std::ifstream smaps("/proc/self/smaps");
  size_t kib = 0;
  bool counting = false;
  for (std::string line; std::getline(smaps, line);) {
    // A mapping starts "start-end perms offset dev inode path"; its fields follow as "Name: value".
    if (line.substr(0, line.find(' ')).find('-') != std::string::npos)
      counting = line.size() >= suffix.size() && line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0;
    else if (counting && line.rfind("Rss:", 0) == 0)
      kib += std::stoul(line.substr(4));
  }
  return kib * 1024;
}

// Leaves the file in the page cache as copying or checksumming a downloaded model does: read
// sequentially from disk, which the kernel's readahead keeps in large folios where it can (the
// pages a write leaves behind are small ones).
void reread_from_disk(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  std::vector<char> buffer(1 << 20);
  while (::read(fd, buffer.data(), buffer.size()) > 0) {
  }
  ::close(fd);
}

// A float32 ViT folder of about 50 MB (4 blocks of width 512), random weights, in the file's
// name order, so every block's biases and norms lie between its matrices.
std::string wide_float_folder() {
  const std::string dir = test::scratch_dir("wide_float_folder");
  const nlohmann::json config = {{"model_type", "vit"}, {"architectures", {"ViTForImageClassification"}},
                                 {"hidden_size", 512}, {"intermediate_size", 2048}, {"num_hidden_layers", 4},
                                 {"num_attention_heads", 8}, {"image_size", 32}, {"patch_size", 16},
                                 {"num_channels", 3}, {"layer_norm_eps", 1e-12}, {"hidden_act", "gelu"},
                                 {"qkv_bias", true}, {"id2label", {{"0", "a"}, {"1", "b"}}}};
  write_json_file(dir + "/config.json", config);
  VitWeights weights;
  std::mt19937 random(7);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<std::vector<float>> values;
  std::vector<SafetensorsEntry> entries;
  for (const WeightSlot& slot : weight_slots(config_from_json(config, dir), &weights)) {
    int64_t count = 1;
    for (int64_t d : slot.shape) count *= d;
    values.emplace_back(static_cast<size_t>(count));
    for (float& v : values.back()) v = normal(random);
    entries.push_back({slot.name, DType::F32, slot.shape, values.back().data(), values.back().size() * sizeof(float)});
  }
  write_safetensors(dir + "/model.safetensors", entries);
  reread_from_disk(dir + "/model.safetensors");
  return dir;
}

// A bfloat16 load of a float32 folder drops the file's pages once the small tensors are copied:
// mapping the folio around each of them (2 MiB where the page cache keeps large folios) would
// otherwise leave most of the file resident while the smaller packed copy is built.
TEST(ModelMemory, ABfloat16LoadHoldsOnlyTheMatrixBeingPacked) {
  const std::string dir = wide_float_folder();
  size_t resident_when_packing_starts = 0;
  const auto first_report = [&](float fraction) {
    if (fraction == 0.0f) resident_when_packing_starts = resident_bytes_of_mapped("/model.safetensors");
    return true;
  };
  try {
    load_model(dir, Precision::BF16, "", first_report);
  } catch (const Error& e) {
    GTEST_SKIP() << "no bfloat16 GEMMs here: " << e.what();
  }
  const size_t file = std::filesystem::file_size(dir + "/model.safetensors");
  EXPECT_GT(file, size_t{48} << 20);
  // The patch embedding's matrix (1.5 MiB) may still be mapped, in folios of up to 2 MiB.
  EXPECT_LT(resident_when_packing_starts, size_t{6} << 20) << "of a " << file << "-byte file";
}

// The resident bytes of `path` right after map_file populates it.
size_t resident_bytes_of_mapped_after_populate(const std::string& path) {
  const ByteView mapped = map_file(path, MapPages::Populate);
  return resident_bytes_of_mapped(path);
}

// A float32 load maps the whole file at once (a fault per page costs more) and keeps each
// matrix mapped until it is packed: looking the tensors up drops nothing.
TEST(ModelMemory, AFloat32LoadKeepsTheMatricesMappedUntilTheyArePacked) {
  const std::string dir = wide_float_folder();
  const size_t file = std::filesystem::file_size(dir + "/model.safetensors");
  if (resident_bytes_of_mapped_after_populate(dir + "/model.safetensors") < file * 9 / 10)
    GTEST_SKIP() << "this kernel does not populate mappings (MADV_POPULATE_READ is Linux 5.14+)";
  size_t resident_when_packing_starts = 0;
  load_model(dir, Precision::F32, "", [&](float fraction) {
    if (fraction == 0.0f) resident_when_packing_starts = resident_bytes_of_mapped("/model.safetensors");
    return true;
  });
  EXPECT_GT(resident_when_packing_starts, file * 9 / 10) << "of a " << file << "-byte file";
}

}  // namespace
}  // namespace vit

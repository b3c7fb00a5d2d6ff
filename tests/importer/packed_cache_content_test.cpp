// The packed cache is keyed on the weights' contents too, not only on their path, size,
// modification time and inode: weights rewritten in place with the same size and a restored
// modification time are a miss, not silently wrong answers from the old cache.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "formats/le_bytes.h"
#include "formats/mapped_file.h"
#include "formats/safetensors.h"
#include "imported_model.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

struct ByteRange {
  size_t offset = 0, size = 0;
};

// Where tensor `name`'s bytes lie in the safetensors file, and where its data region begins.
ByteRange tensor_bytes(const std::string& path, const std::string& name, size_t* data_begin) {
  const ByteView whole = map_file(path);
  const SafetensorsFile file = SafetensorsFile::parse(whole, path);
  const StoredTensor* t = file.find(name);
  EXPECT_NE(t, nullptr) << name;
  if (!t) return {};
  *data_begin = 8 + static_cast<size_t>(load_le64(whole.data));
  return {static_cast<size_t>(t->storage.data + t->offset * 4 - whole.data), static_cast<size_t>(t->numel()) * 4};
}

// Negates every float32 in `range`, in place (same inode, same size), then restores the
// modification time, as a tool that rewrites weights in place and keeps timestamps would.
void negate_in_place(const std::string& path, const ByteRange& range) {
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::vector<float> values(range.size / 4);
  ASSERT_EQ(::pread(fd, values.data(), range.size, static_cast<off_t>(range.offset)), static_cast<ssize_t>(range.size));
  for (float& v : values) v = -v;
  ASSERT_EQ(::pwrite(fd, values.data(), range.size, static_cast<off_t>(range.offset)), static_cast<ssize_t>(range.size));
  ::close(fd);
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  ASSERT_EQ(after.st_ino, before.st_ino);
  ASSERT_EQ(after.st_size, before.st_size);
  ASSERT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
}

TEST(PackedCacheContent, WeightsRewrittenInPlaceWithTheSameSizeAndMtimeAreAMiss) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("vit_tiny_real"), "cache_content");
  const std::string cache = test::scratch_dir("cache_content_dir");
  load_model(dir, Precision::F32, cache);
  const VitModel cached = load_model(dir, Precision::F32, cache);
  ASSERT_TRUE(cached.packed_weights_from_cache());
  const std::vector<float> old_logits = test::fixture_logits(cached, "vit_tiny_real");

  // A packed matrix larger than the spacing of the 64 sampled 4 KiB blocks holds one of them.
  const std::string weights = dir + "/" + kWeightsFile;
  size_t data_begin = 0;
  const ByteRange fc1 = tensor_bytes(weights, "vit.encoder.layer.0.intermediate.dense.weight", &data_begin);
  const size_t spacing = (static_cast<size_t>(std::filesystem::file_size(weights)) - data_begin) / 63;
  ASSERT_GT(fc1.size, spacing + 4096);
  negate_in_place(weights, fc1);

  const VitModel reloaded = load_model(dir, Precision::F32, cache);
  EXPECT_FALSE(reloaded.packed_weights_from_cache());
  const std::vector<float> new_logits = test::fixture_logits(reloaded, "vit_tiny_real");
  EXPECT_EQ(new_logits, test::fixture_logits(load_model(dir, Precision::F32), "vit_tiny_real"));
  EXPECT_NE(new_logits, old_logits);
  EXPECT_TRUE(load_model(dir, Precision::F32, cache).packed_weights_from_cache());  // rewritten for the new weights
}

}  // namespace
}  // namespace vit

#include <string>

#include <gtest/gtest.h>

#include "formats/text.h"

namespace vit {
namespace {

TEST(Text, StartsWith) {
  EXPECT_TRUE(starts_with("blocks.3.mlp", "blocks."));
  EXPECT_TRUE(starts_with("x", ""));
  EXPECT_TRUE(starts_with(std::string("\x89PNG\0\x1a", 6), std::string("\x89PNG\0", 5)));
  EXPECT_FALSE(starts_with("blocks", "blocks."));
  EXPECT_FALSE(starts_with("", "b"));
  EXPECT_FALSE(starts_with("module.x", "modulE."));
}

TEST(Text, EndsWith) {
  EXPECT_TRUE(ends_with("model.safetensors", ".safetensors"));
  EXPECT_TRUE(ends_with(".npy", ".npy"));
  EXPECT_TRUE(ends_with("x", ""));
  EXPECT_FALSE(ends_with("npy", ".npy"));
  EXPECT_FALSE(ends_with("a.npy.gz", ".npy"));
  EXPECT_FALSE(ends_with("", "y"));
}

}  // namespace
}  // namespace vit

// Bounded reprs and checkpoint outlines (what vitinspect prints).
#include <chrono>

#include <gtest/gtest.h>

#include "formats/mapped_file.h"
#include "formats/pickle_outline.h"
#include "formats/pickle_reader.h"
#include "formats/torch_checkpoint.h"
#include "pickle_test_data.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

PickleValue parse(const std::string& bytes) { return read_pickle(test::view_of(bytes), "t.pkl"); }

bool has_line(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

TEST(PickleOutline, ReprLooksLikePython) {
  const std::string file = test::pickle_data("benign_p2.pkl");
  PickleValue v = read_pickle(map_file(file), file);
  EXPECT_EQ(pickle_repr(v.at("tuple")), "(1, 2, 3)");
  EXPECT_EQ(pickle_repr(v.at("nested")), "[1, [2, (3,)]]");
  EXPECT_EQ(pickle_repr(v.at("float")), "1.5");
  EXPECT_EQ(pickle_repr(v.at("small")), "1e-05");
  EXPECT_EQ(pickle_repr(v.at("bytes")), "b'\\x00\\x01\\xff'");
  EXPECT_EQ(pickle_repr(v.at("none")), "None");
  EXPECT_EQ(pickle_repr(v.at("od")), "{'a': 1, 'b': 2}");
  EXPECT_EQ(pickle_repr(v.at("ns")), "<argparse.Namespace lr=0.1, name='x'>");
  EXPECT_EQ(pickle_repr(v.at("big")), "1180591620717411303424");
  EXPECT_EQ(pickle_repr(parse("F3.0\n.")), "3.0");
  std::string long_list = "(";
  for (int i = 0; i < 1000; ++i) long_list += "K\x07";
  EXPECT_EQ(pickle_repr(parse(long_list + "l."), 20), "[7, 7, 7, 7, 7, 7, 7...");
}

TEST(PickleOutline, CheckpointPathsTensorsAndArgs) {
  VIT_REQUIRE_SHARED();
  auto lines = pickle_outline(load_torch_checkpoint(test::fixture("train_checkpoint/model_best.pth.tar")));
  EXPECT_TRUE(has_line(lines, "epoch: 4"));
  EXPECT_TRUE(has_line(lines, "arch: 'vit_tiny_patch16_224'"));
  EXPECT_TRUE(has_line(lines, "args: <argparse.Namespace>"));
  EXPECT_TRUE(has_line(lines, "args/model: 'vit_tiny_patch16_224'"));
  EXPECT_TRUE(has_line(lines, "state_dict/module.cls_token  F32  [1, 1, 64]  256 bytes"));
  EXPECT_TRUE(has_line(lines, "state_dict_ema/head.bias  F32  [100]  400 bytes"));
  EXPECT_TRUE(has_line(lines, "optimizer/state/0/step  F32  []  4 bytes"));
  EXPECT_TRUE(has_line(lines, "optimizer/param_groups/1/weight_decay: 0.05"));
  EXPECT_TRUE(has_line(lines, "metric: 12.5"));
  auto strided = pickle_outline(load_torch_checkpoint(test::fixture("noncontiguous/pytorch_model.bin")));
  EXPECT_TRUE(has_line(strided, "norm.bias  F32  [64]  256 bytes, strided"));
}

TEST(PickleOutline, SharedSubtreesAreCutNotExpanded) {
  // x = {'a': x, 'b': x} forty times: 2^40 paths.
  std::string s = test::bytes_of("}q\x00");
  for (int i = 0; i < 40; ++i) s += test::bytes_of("(U\x01" "ah\x00U\x01" "bh\x00" "dq\x00");
  s += test::bytes_of("h\x00.");
  PickleValue v = parse(s);
  auto start = std::chrono::steady_clock::now();
  OutlineOptions small;
  small.max_lines = 1000;
  auto lines = pickle_outline(v, small);
  EXPECT_EQ(lines.size(), 1001u);
  EXPECT_EQ(lines.back(), "... (cut at 1000 lines)");
  EXPECT_LT(pickle_repr(v, 500).size(), 510u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace vit

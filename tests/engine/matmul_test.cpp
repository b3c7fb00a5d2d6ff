// Packing a matrix from row blocks (q, k, v read one at a time) gives exactly the GEMM results
// of packing the stacked matrix, whether the blocks go straight into the packed layout or are
// stacked first (block sizes off the layout's blocking, int8).
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/ops/matmul.h"

namespace vit {
namespace {

struct BlockCase {
  int64_t inputs, block_outputs;
  int blocks;
  Precision precision;
};

class PackBlocks : public ::testing::TestWithParam<BlockCase> {};

TEST_P(PackBlocks, EqualsPackingTheStackedMatrix) {
  const BlockCase c = GetParam();
  const int64_t outputs = c.block_outputs * c.blocks, rows = 5;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> stacked(static_cast<size_t>(outputs * c.inputs)), x(static_cast<size_t>(rows * c.inputs));
  for (float& v : stacked) v = uniform(rng);
  for (float& v : x) v = uniform(rng);
  MatmulRunner mm;
  PackedWeights whole;
  try {
    whole = mm.pack(stacked.data(), c.inputs, outputs, c.precision);
  } catch (const std::exception& e) {
    GTEST_SKIP() << e.what();  // this CPU lacks the precision
  }
  // Each block from its own buffer, refilled per call, as a MatrixSource hands them over.
  std::vector<float> one_block(static_cast<size_t>(c.block_outputs * c.inputs));
  const PackedWeights blocks = mm.pack_blocks(c.inputs, std::vector<int64_t>(c.blocks, c.block_outputs), c.precision,
                                              [&](size_t i) {
                                                std::copy_n(&stacked[i * one_block.size()], one_block.size(),
                                                            one_block.data());
                                                return one_block.data();
                                              });
  std::vector<float> a(static_cast<size_t>(rows * outputs)), b(a.size());
  mm.linear({rows, c.inputs, outputs}, x.data(), whole, nullptr, a.data(), Epilogue::None);
  mm.linear({rows, c.inputs, outputs}, x.data(), blocks, nullptr, b.data(), Epilogue::None);
  EXPECT_EQ(a, b);
}

INSTANTIATE_TEST_SUITE_P(Shapes, PackBlocks,
                         ::testing::Values(BlockCase{768, 768, 3, Precision::F32},   // ViT-B q/k/v: straight in
                                           BlockCase{192, 192, 3, Precision::F32},   // ViT-Ti
                                           BlockCase{768, 768, 3, Precision::BF16},
                                           BlockCase{48, 48, 3, Precision::F32},     // off the blocking: stacked
                                           BlockCase{96, 96, 2, Precision::F32},     // map head k/v
                                           BlockCase{768, 768, 3, Precision::Int8},  // int8: stacked
                                           BlockCase{588, 768, 1, Precision::F32})); // one block, padded inputs

}  // namespace
}  // namespace vit

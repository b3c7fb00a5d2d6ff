// Per-row int8 quantization against a scalar reference written from its definition: q =
// round-half-to-even(x / (max|x| / 127)), NaN -> 0, a row of zeros gets scale 1. Both the
// AVX-512 and the portable code, on widths around the 16- and 64-value blocks.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/ops/quantize.h"

namespace vit {
namespace {

struct Quantized {
  std::vector<int8_t> q;
  std::vector<float> scales;
};

Quantized reference(const std::vector<float>& x, int64_t rows, int64_t cols) {
  Quantized out{std::vector<int8_t>(x.size()), std::vector<float>(rows)};
  for (int64_t r = 0; r < rows; ++r) {
    float max_abs = 0.0f;
    for (int64_t c = 0; c < cols; ++c)
      if (!std::isnan(x[r * cols + c])) max_abs = std::max(max_abs, std::fabs(x[r * cols + c]));
    const float scale = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
    out.scales[r] = scale;
    for (int64_t c = 0; c < cols; ++c) {
      const float v = x[r * cols + c] * (1.0f / scale);
      const float clamped = std::isnan(v) ? 0.0f : std::min(127.0f, std::max(-127.0f, v));
      out.q[r * cols + c] = static_cast<int8_t>(std::nearbyint(clamped));  // the default mode: half to even
    }
  }
  return out;
}

using Quantizer = void (*)(const float*, int64_t, int64_t, int8_t*, float*);

void expect_reference(Quantizer quantize, const std::vector<float>& x, int64_t rows, int64_t cols) {
  const Quantized want = reference(x, rows, cols);
  Quantized got{std::vector<int8_t>(x.size(), 99), std::vector<float>(rows, -1.0f)};
  quantize(x.data(), rows, cols, got.q.data(), got.scales.data());
  for (int64_t r = 0; r < rows; ++r) ASSERT_EQ(got.scales[r], want.scales[r]) << "row " << r << " of " << cols;
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(got.q[i], want.q[i]) << "value " << i << " (" << x[i] << ")";
}

class QuantizeRows : public ::testing::TestWithParam<Quantizer> {};

TEST_P(QuantizeRows, MatchesTheReferenceOnEveryWidthWithNanAmongTheValues) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  // 200 x 3072 crosses the size from which rows are shared between threads.
  for (int64_t cols : {1, 15, 16, 17, 63, 64, 65, 100, 3072}) {
    const int64_t rows = cols == 3072 ? 200 : 7;
    std::vector<float> x(static_cast<size_t>(rows * cols));
    for (float& v : x) v = normal(rng);
    for (size_t i = 3; i < x.size(); i += 11) x[i] = std::numeric_limits<float>::quiet_NaN();
    expect_reference(GetParam(), x, rows, cols);
  }
}

TEST_P(QuantizeRows, RoundsHalfToEvenAndClampsAndSkipsNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Row 0 has max 127, so its scale is 1 and the halves stay halves; row 1 holds a NaN; row 2
  // is all zeros; row 3's infinity makes every finite value 0.
  const std::vector<float> x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, 127.0f, -127.0f, 3.49f,
                                1.0f, nan,  -2.0f, 0.25f, 0.0f,  0.0f,  0.0f,   0.0f,   0.0f,    0.0f,
                                0.0f, 0.0f, 0.0f,  0.0f,  0.0f,  0.0f,  0.0f,   0.0f,   0.0f,    0.0f,
                                1.0f, -std::numeric_limits<float>::infinity(), 2.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  std::vector<int8_t> q(x.size());
  std::vector<float> scales(4);
  GetParam()(x.data(), 4, 10, q.data(), scales.data());
  EXPECT_EQ(std::vector<int8_t>(q.begin(), q.begin() + 10),
            (std::vector<int8_t>{0, 2, 2, 0, -2, -2, 126, 127, -127, 3}));
  EXPECT_EQ(scales[0], 1.0f);
  EXPECT_EQ(scales[1], 2.0f / 127.0f);
  EXPECT_EQ(q[11], 0);
  EXPECT_EQ(q[12], -127);
  EXPECT_EQ(scales[2], 1.0f);
  for (int i = 20; i < 30; ++i) EXPECT_EQ(q[i], 0);
  EXPECT_TRUE(std::isinf(scales[3]));
  for (int i = 30; i < 40; ++i) EXPECT_EQ(q[i], 0) << i;
  expect_reference(GetParam(), x, 4, 10);
  // A NaN in the last lanes of a row, after every other value has been seen.
  for (int64_t cols : {17, 31, 80}) {
    std::vector<float> tail(static_cast<size_t>(cols), 1.0f);
    tail[0] = 4.0f;
    tail.back() = nan;
    expect_reference(GetParam(), tail, 1, cols);
  }
}

TEST(QuantizeRow, IsOneRowOfQuantizeRows) {
  std::mt19937 rng(6);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  const int64_t rows = 3, cols = 77;
  std::vector<float> x(rows * cols);
  for (float& v : x) v = normal(rng);
  std::vector<int8_t> whole(x.size()), one(x.size());
  std::vector<float> whole_scales(rows), one_scales(rows);
  quantize_rows(x.data(), rows, cols, whole.data(), whole_scales.data());
  for (int64_t r = 0; r < rows; ++r) one_scales[r] = quantize_row(x.data() + r * cols, cols, one.data() + r * cols);
  EXPECT_EQ(one, whole);
  EXPECT_EQ(one_scales, whole_scales);
}

INSTANTIATE_TEST_SUITE_P(Kernels, QuantizeRows, ::testing::Values(&quantize_rows, &quantize_rows_portable),
                         [](const ::testing::TestParamInfo<Quantizer>& info) {
                           return info.param == &quantize_rows_portable ? "Portable" : "Fastest";
                         });

}  // namespace
}  // namespace vit

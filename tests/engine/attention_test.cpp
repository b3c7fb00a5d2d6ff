// The fused AVX-512 attention kernel and the oneDNN one both match a plain double-precision
// softmax(Q K^T / sqrt(d)) V, on the layouts the engine uses (q, k, v interleaved in one qkv
// buffer; a shared query for the map head) and on awkward sizes.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/attention.h"
#include "engine/fused_attention.h"

namespace vit {
namespace {

struct Case {
  int batch, heads, head_dim, query_tokens, key_tokens;
  bool shared_query;  // the map head: one latent query for every batch item
  float magnitude;    // large values stress the softmax's max subtraction
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.batch << "x" << c.heads << " heads of " << c.head_dim << ", " << c.query_tokens << "x" << c.key_tokens
      << (c.shared_query ? " shared query" : "") << " magnitude " << c.magnitude;
}

class Attention : public ::testing::TestWithParam<Case> {};

TEST_P(Attention, BothKernelsMatchAPlainReference) {
  const Case c = GetParam();
  const int64_t D = static_cast<int64_t>(c.heads) * c.head_dim;
  // q, k, v interleaved per token like the engine's qkv GEMM output: row stride 3 * D.
  const int64_t row = 3 * D, batch_stride = row * c.key_tokens;
  std::vector<float> qkv(static_cast<size_t>(c.batch) * batch_stride), latent(D);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-c.magnitude, c.magnitude);
  for (float& x : qkv) x = uniform(rng);
  for (float& x : latent) x = uniform(rng);
  const HeadView q = c.shared_query ? HeadView{latent.data(), 0, D} : HeadView{qkv.data(), batch_stride, row};
  const HeadView k{qkv.data() + D, batch_stride, row}, v{qkv.data() + 2 * D, batch_stride, row};
  const int64_t out_row = D, out_batch = D * c.query_tokens;
  const AttentionShape shape{c.batch, c.heads, c.head_dim, c.query_tokens, c.key_tokens};

  std::vector<double> expected(static_cast<size_t>(c.batch) * out_batch);
  for (int b = 0; b < c.batch; ++b)
    for (int h = 0; h < c.heads; ++h)
      for (int t = 0; t < c.query_tokens; ++t) {
        const float* qr = q.base + b * q.batch_stride + t * q.row_stride + h * c.head_dim;
        std::vector<double> p(c.key_tokens);
        double max = -INFINITY, sum = 0;
        for (int j = 0; j < c.key_tokens; ++j) {
          const float* kr = k.base + b * k.batch_stride + j * k.row_stride + h * c.head_dim;
          double dot = 0;
          for (int d = 0; d < c.head_dim; ++d) dot += double(qr[d]) * kr[d];
          p[j] = dot / std::sqrt(double(c.head_dim));
          max = std::max(max, p[j]);
        }
        for (double& x : p) sum += x = std::exp(x - max);
        for (int d = 0; d < c.head_dim; ++d) {
          double o = 0;
          for (int j = 0; j < c.key_tokens; ++j) o += p[j] * v.base[b * v.batch_stride + j * v.row_stride + h * c.head_dim + d];
          expected[b * out_batch + t * out_row + h * c.head_dim + d] = o / sum;
        }
      }

  MatmulRunner mm;
  std::vector<AttentionKernel> kernels = {AttentionKernel::OneDnn};
  if (fused_attention_available()) kernels.push_back(AttentionKernel::Fused);
  for (AttentionKernel kernel : kernels) {
    std::vector<float> out(expected.size(), NAN), scores(attention_scratch_size(shape, kernel));
    multi_head_attention(mm, shape, q, k, v, out.data(), out_batch, out_row, scores.data(), kernel);
    double worst = 0;
    for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::fabs(out[i] - expected[i]));
    EXPECT_LE(worst, 2e-5 * c.magnitude) << (kernel == AttentionKernel::Fused ? "fused" : "oneDNN");
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Attention,
                         ::testing::Values(Case{1, 12, 64, 197, 197, false, 1.0f},  // ViT-B/16 at 224
                                           Case{2, 3, 64, 50, 50, false, 1.0f},
                                           Case{2, 4, 8, 17, 17, false, 1.0f},     // the fixtures' small heads
                                           Case{1, 2, 72, 33, 33, false, 1.0f},    // 4 + 1 vectors of 16
                                           Case{3, 2, 20, 7, 7, false, 1.0f},      // fewer rows than a block
                                           Case{2, 4, 16, 1, 49, true, 1.0f},      // map head pooling
                                           Case{1, 2, 64, 40, 40, false, 6.0f}));  // scores in the hundreds

}  // namespace
}  // namespace vit

// The fused AVX-512 attention kernel and the oneDNN one both match a plain double-precision
// softmax(Q K^T / sqrt(d)) V, on the layouts the engine uses (q, k, v interleaved in one qkv
// buffer; a shared query for the map head) and on awkward sizes.
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/ops/amx_attention.h"
#include "engine/ops/attention.h"
#include "engine/ops/fused_attention.h"

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

float round_to_bf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// Random q, k, v interleaved per token like the engine's qkv GEMM output (row stride 3 * D),
// and the attention of them computed plainly in double precision.
struct Problem {
  explicit Problem(const Case& c) : c(c), D(int64_t{c.heads} * c.head_dim), row(3 * D), batch_stride(row * c.key_tokens) {
    qkv.resize(static_cast<size_t>(c.batch) * batch_stride);
    latent.resize(D);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> uniform(-c.magnitude, c.magnitude);
    for (float& x : qkv) x = uniform(rng);
    for (float& x : latent) x = uniform(rng);
  }
  HeadView q() const { return c.shared_query ? HeadView{latent.data(), 0, D} : HeadView{qkv.data(), batch_stride, row}; }
  HeadView k() const { return {qkv.data() + D, batch_stride, row}; }
  HeadView v() const { return {qkv.data() + 2 * D, batch_stride, row}; }
  int64_t out_batch() const { return D * c.query_tokens; }
  AttentionShape shape() const { return {c.batch, c.heads, c.head_dim, c.query_tokens, c.key_tokens}; }

  // bf16: q, k, v and the softmax numerators rounded to bfloat16, as the bfloat16 kernel does
  // (its sums stay float32, and so does the normalizing sum).
  std::vector<double> reference(bool bf16) const {
    auto in = [&](float x) { return double(bf16 ? round_to_bf16(x) : x); };
    std::vector<double> expected(static_cast<size_t>(c.batch) * out_batch());
    const HeadView qv = q(), kv = k(), vv = v();
    for (int b = 0; b < c.batch; ++b)
      for (int h = 0; h < c.heads; ++h)
        for (int t = 0; t < c.query_tokens; ++t) {
          const float* qr = qv.base + b * qv.batch_stride + t * qv.row_stride + h * c.head_dim;
          std::vector<double> p(c.key_tokens);
          double max = -INFINITY, sum = 0;
          for (int j = 0; j < c.key_tokens; ++j) {
            const float* kr = kv.base + b * kv.batch_stride + j * kv.row_stride + h * c.head_dim;
            double dot = 0;
            for (int d = 0; d < c.head_dim; ++d) dot += in(qr[d]) * in(kr[d]);
            p[j] = dot / std::sqrt(double(c.head_dim));
            max = std::max(max, p[j]);
          }
          for (double& x : p) {
            sum += x = std::exp(x - max);
            if (bf16) x = round_to_bf16(static_cast<float>(x));
          }
          for (int d = 0; d < c.head_dim; ++d) {
            double o = 0;
            for (int j = 0; j < c.key_tokens; ++j)
              o += p[j] * in(vv.base[b * vv.batch_stride + j * vv.row_stride + h * c.head_dim + d]);
            expected[b * out_batch() + t * D + h * c.head_dim + d] = o / sum;
          }
        }
    return expected;
  }

  double worst_error(AttentionKernel kernel, const std::vector<double>& expected) const {
    MatmulRunner mm;
    std::vector<float> out(expected.size(), NAN), scores(attention_scratch_size(shape(), kernel));
    multi_head_attention(mm, shape(), q(), k(), v(), out.data(), out_batch(), D, scores.data(), kernel);
    double worst = 0;
    for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::fabs(out[i] - expected[i]));
    return worst;
  }

  Case c;
  int64_t D, row, batch_stride;
  std::vector<float> qkv, latent;
};

class Attention : public ::testing::TestWithParam<Case> {};

TEST_P(Attention, BothKernelsMatchAPlainReference) {
  const Problem problem(GetParam());
  const std::vector<double> expected = problem.reference(false);
  EXPECT_LE(problem.worst_error(AttentionKernel::OneDnn, expected), 2e-5 * GetParam().magnitude) << "oneDNN";
  if (fused_attention_available()) {
    EXPECT_LE(problem.worst_error(AttentionKernel::Fused, expected), 2e-5 * GetParam().magnitude) << "fused";
  }
}

// The bfloat16 kernel computes what it should: the reference with its roundings, up to the
// float32 sums (and rare numerators whose float32 exp rounds to the other bfloat16).
TEST_P(Attention, Bfloat16KernelMatchesTheReferenceWithItsRoundings) {
  if (!fused_attention_bf16_available()) GTEST_SKIP() << "this CPU has no AVX512-BF16";
  const Problem problem(GetParam());
  EXPECT_LE(problem.worst_error(AttentionKernel::FusedBf16, problem.reference(true)), 1e-4 * GetParam().magnitude);
  // Against float32 it is bfloat16-accurate where scores are moderate (|q.k| / sqrt(d) of a few).
  if (GetParam().magnitude <= 1.0f) {
    EXPECT_LE(problem.worst_error(AttentionKernel::FusedBf16, problem.reference(false)), 3e-3);
  }
}

// The AMX kernel computes the bfloat16 kernel's roundings on heads of 64; other widths run in
// float32 (on AMX CPUs bfloat16 vector products are slower than float32 FMAs).
TEST_P(Attention, AmxKernelMatchesTheReferenceWithItsRoundings) {
  if (!amx_attention_available()) GTEST_SKIP() << "this CPU has no AMX-BF16";
  const Problem problem(GetParam());
  const float magnitude = GetParam().magnitude;
  if (GetParam().head_dim != kAmxHeadDim) {
    EXPECT_LE(problem.worst_error(AttentionKernel::AmxBf16, problem.reference(false)), 2e-5 * magnitude);
    return;
  }
  EXPECT_LE(problem.worst_error(AttentionKernel::AmxBf16, problem.reference(true)), 1e-4 * magnitude);
  if (magnitude <= 1.0f) {
    EXPECT_LE(problem.worst_error(AttentionKernel::AmxBf16, problem.reference(false)), 3e-3);
  }
}

// Float32 models keep float32 attention; bfloat16 and int8 models use AMX tiles where the CPU
// has them.
TEST(AttentionKernelFor, ReducedPrecisionModelsUseTilesWhereTheCpuHasThem) {
  EXPECT_EQ(attention_kernel_for(Precision::F32), AttentionKernel::Auto);
  for (Precision p : {Precision::BF16, Precision::Int8}) {
    if (amx_attention_available())
      EXPECT_EQ(attention_kernel_for(p), AttentionKernel::AmxBf16);
    else
      EXPECT_NE(attention_kernel_for(p), AttentionKernel::AmxBf16);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Attention,
                         ::testing::Values(Case{1, 12, 64, 197, 197, false, 1.0f},  // ViT-B/16 at 224
                                           Case{2, 3, 64, 50, 50, false, 1.0f},
                                           Case{2, 4, 8, 17, 17, false, 1.0f},     // the fixtures' small heads
                                           Case{1, 2, 72, 33, 33, false, 1.0f},    // 4 + 1 vectors of 16
                                           Case{3, 2, 20, 7, 7, false, 1.0f},      // fewer rows than a block
                                           Case{2, 3, 64, 21, 37, false, 1.0f},    // AMX: 16 + 5 rows, 37 keys
                                           Case{2, 4, 16, 1, 49, true, 1.0f},      // map head pooling
                                           Case{2, 2, 64, 1, 49, true, 1.0f},      // ... with heads of 64 (AMX)
                                           Case{1, 2, 64, 40, 40, false, 6.0f},    // scores in the hundreds
                                           Case{1, 2, 64, 1100, 1100, false, 1.0f}));  // oneDNN in 2 row blocks

// The oneDNN kernel's scores take a block of query rows at a time, so its scratch grows with the
// tokens, not their square: DINOv2 at 518 px (1370 tokens) needs 8 MiB, not 6 x 1370^2 floats.
TEST(AttentionScratch, GrowsWithTokensNotTheirSquare) {
  const AttentionShape dinov2_518{1, 6, 64, 1370, 1370}, twice{1, 6, 64, 2740, 2740};
  const int64_t budget = int64_t{2} << 20;
  EXPECT_LE(attention_scratch_size(dinov2_518, AttentionKernel::OneDnn), budget);
  EXPECT_LE(attention_scratch_size(twice, AttentionKernel::OneDnn), budget);
  const AttentionShape vit_b{1, 12, 64, 197, 197};  // whole rows while they fit
  EXPECT_EQ(attention_scratch_size(vit_b, AttentionKernel::OneDnn), 12 * 197 * 197);
  EXPECT_EQ(attention_scratch_size(dinov2_518, AttentionKernel::Fused), 0);
}

}  // namespace
}  // namespace vit

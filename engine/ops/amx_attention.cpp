#include "engine/ops/amx_attention.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "engine/ops/attention_simd.h"

namespace vit {

namespace {

using namespace attention_simd;

#define VIT_AMX __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,amx-tile,amx-bf16")))

constexpr int kBlockRows = 16;  // query rows per block: a tile's rows
constexpr int kPairs = kAmxHeadDim / 2;
constexpr int kKeyStep = 32;  // keys per P V product: 16 pairs, a B tile's rows
constexpr int kTileRowBytes = 64;

// Every tile is 16 rows of 64 bytes. Tiles 0-3 accumulate (scores of 4 x 16 keys, or 4 x 16
// dims of the output), 4 and 5 hold the A operand (q's two halves of 32 dims, or 32 numerators),
// 6 and 7 the B operand (16 pairs of dims of 16 keys, or 16 pairs of keys of 16 dims).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};

VIT_AMX void configure_tiles() {
  TileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.bytes_per_row[t] = kTileRowBytes;
    config.rows[t] = kBlockRows;
  }
  _tile_loadconfig(&config);
}

// Tile loads are asm without a memory clobber: the buffers written just before must not be
// left to the compiler to store later.
inline void memory_barrier() { asm volatile("" ::: "memory"); }

int64_t padded_keys(int keys) { return (keys + kKeyStep - 1) / kKeyStep * kKeyStep; }

// The scratch of one head, in 32-bit units.
struct HeadWork {
  uint32_t* k_rows;  // [keys][kPairs], K in bfloat16 before the transpose
  uint32_t* kt;      // [kPairs][kp], K by pairs of dims, transposed
  uint32_t* values;  // [kp / 2][kAmxHeadDim], V by pairs of keys
  float* scores;     // [kBlockRows][kp]
  uint16_t* p;       // [kBlockRows][kp], softmax numerators in bfloat16
  uint16_t* q;       // [kBlockRows][kAmxHeadDim], the block's queries in bfloat16
  float* out;        // [kBlockRows][kAmxHeadDim], the block's unnormalized output

  HeadWork(float* work, int keys, int64_t kp) {
    k_rows = reinterpret_cast<uint32_t*>(work);
    kt = k_rows + static_cast<int64_t>(keys) * kPairs;
    values = kt + kPairs * kp;
    scores = reinterpret_cast<float*>(values + kp / 2 * kAmxHeadDim);
    p = reinterpret_cast<uint16_t*>(scores + kBlockRows * kp);
    q = p + kBlockRows * kp;
    out = reinterpret_cast<float*>(q + kBlockRows * kAmxHeadDim);
  }
  static int64_t units(int keys, int64_t kp) {
    return int64_t{keys} * kPairs + kPairs * kp + kp / 2 * kAmxHeadDim + kBlockRows * kp + kBlockRows * kp / 2 +
           kBlockRows * kAmxHeadDim / 2 + kBlockRows * kAmxHeadDim;
  }
};

// Tile C = q (tiles 4, 5) . the 16 keys of kt from column j; stored to scores' column j.
#define VIT_SCORE_TILE(C, j)                                      \
  do {                                                            \
    _tile_zero(C);                                                \
    _tile_loadd(6, w.kt + (j), kp * 4);                           \
    _tile_dpbf16ps(C, 4, 6);                                      \
    _tile_loadd(7, w.kt + kPairs / 2 * kp + (j), kp * 4);         \
    _tile_dpbf16ps(C, 5, 7);                                      \
    _tile_stored(C, w.scores + (j), kp * 4);                      \
  } while (0)

// scores = q . k for the block's rows and every (padded) key, unscaled.
VIT_AMX void block_scores(const HeadWork& w, int64_t kp) {
  _tile_loadd(4, w.q, kAmxHeadDim * 2);
  _tile_loadd(5, w.q + kPairs, kAmxHeadDim * 2);
  int64_t j = 0;
  for (; j + 4 * kBlockRows <= kp; j += 4 * kBlockRows) {
    VIT_SCORE_TILE(0, j);
    VIT_SCORE_TILE(1, j + 16);
    VIT_SCORE_TILE(2, j + 32);
    VIT_SCORE_TILE(3, j + 48);
  }
  if (j < kp) {  // kp is a multiple of 32
    VIT_SCORE_TILE(0, j);
    VIT_SCORE_TILE(1, j + 16);
  }
}

// Tile C += the 32 numerators in tile 4 times V's dims from d0 (B tile T) for keys from j.
#define VIT_VALUE_TILE(C, T, j, d0)                                               \
  do {                                                                            \
    _tile_loadd(T, w.values + (j) / 2 * kAmxHeadDim + (d0), kAmxHeadDim * 4);     \
    _tile_dpbf16ps(C, 4, T);                                                      \
  } while (0)

// out = p V for the block's rows, unnormalized.
VIT_AMX void block_values(const HeadWork& w, int64_t kp) {
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t j = 0; j < kp; j += kKeyStep) {
    _tile_loadd(4, w.p + j, kp * 2);
    VIT_VALUE_TILE(0, 6, j, 0);
    VIT_VALUE_TILE(1, 7, j, 16);
    VIT_VALUE_TILE(2, 6, j, 32);
    VIT_VALUE_TILE(3, 7, j, 48);
  }
  _tile_stored(0, w.out, kAmxHeadDim * 4);
  _tile_stored(1, w.out + 16, kAmxHeadDim * 4);
  _tile_stored(2, w.out + 32, kAmxHeadDim * 4);
  _tile_stored(3, w.out + 48, kAmxHeadDim * 4);
}

// The block's queries in bfloat16; rows past the last query are zero.
VIT_KERNEL void load_queries(const HeadMatrices& m, int64_t first, int rows, uint16_t* q) {
  for (int r = 0; r < kBlockRows; ++r) {
    if (r < rows)
      to_bf16(m.q + (first + r) * m.q_stride, kAmxHeadDim, q + r * kAmxHeadDim);
    else
      std::fill(q + r * kAmxHeadDim, q + (r + 1) * kAmxHeadDim, uint16_t{0});
  }
}

// Stores numerators as bfloat16.
struct AsBf16 {
  uint16_t* p;
  VIT_KERNEL void operator()(int64_t j, __m512 e) const {
    const __m256bh h = _mm512_cvtneps_pbh(e);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p + j), reinterpret_cast<const __m256i&>(h));
  }
};

// The block's first `rows` output rows: out * 1 / sum.
VIT_KERNEL void store_rows(const HeadMatrices& m, int64_t first, int rows, const float* out,
                           const float* inverse_sums) {
  for (int r = 0; r < rows; ++r) {
    const __m512 inv = _mm512_set1_ps(inverse_sums[r]);
    float* dst = m.out + (first + r) * m.out_stride;
    for (int d = 0; d < kAmxHeadDim; d += kLanes)
      _mm512_storeu_ps(dst + d, _mm512_mul_ps(_mm512_loadu_ps(out + r * kAmxHeadDim + d), inv));
  }
}

VIT_AMX void attend_block(const HeadMatrices& m, const HeadWork& w, int64_t first, int rows, int keys, int64_t kp,
                          float scale) {
  load_queries(m, first, rows, w.q);
  memory_barrier();
  block_scores(w, kp);
  float inverse_sums[kBlockRows];
  for (int r = 0; r < kBlockRows; ++r) {
    const float* row = w.scores + r * kp;
    inverse_sums[r] = softmax_row<true>(row, keys, kp, row_maximum(row, keys), scale, AsBf16{w.p + r * kp});
  }
  memory_barrier();
  block_values(w, kp);
  store_rows(m, first, rows, w.out, inverse_sums);
}

bool tile_data_permitted() {
  constexpr long kArchRequestPermission = 0x1023;  // ARCH_REQ_XCOMP_PERM
  constexpr long kTileDataFeature = 18;            // XFEATURE_XTILEDATA
  return syscall(SYS_arch_prctl, kArchRequestPermission, kTileDataFeature) == 0;
}

}  // namespace

bool amx_attention_available() {
  static const bool available = fused_attention_bf16_available() && __builtin_cpu_supports("amx-tile") &&
                                __builtin_cpu_supports("amx-bf16") && tile_data_permitted();
  return available;
}

int64_t amx_attention_work_floats(int key_tokens) { return HeadWork::units(key_tokens, padded_keys(key_tokens)); }

VIT_AMX void amx_attention_head(const HeadMatrices& m, int query_tokens, int key_tokens, float scale, float* work) {
  const int64_t kp = padded_keys(key_tokens);
  const HeadWork w(work, key_tokens, kp);
  pack_keys_bf16(m.k, m.k_stride, key_tokens, kAmxHeadDim, w.k_rows, w.kt, kp);
  pack_values_bf16(m.v, m.v_stride, key_tokens, kAmxHeadDim, w.values, kp);
  memory_barrier();
  // The tile configuration is per thread and oneDNN's GEMMs load their own, so each head loads
  // this one and releases the tiles after.
  configure_tiles();
  for (int64_t first = 0; first < query_tokens; first += kBlockRows)
    attend_block(m, w, first, static_cast<int>(std::min<int64_t>(kBlockRows, query_tokens - first)), key_tokens,
                 kp, scale);
  _tile_release();
}

}  // namespace vit

// Inputs of ever new sizes must not keep ever more oneDNN primitives: the caches are bounded,
// and memory stays flat once they are full. oneDNN keeps its own cache of the last 1024
// primitives made (its default capacity), so flat memory shows only past that many shapes.
#include <unistd.h>

#include <cstdio>
#include <vector>

#include <gtest/gtest.h>

#include "engine/ops/matmul.h"

namespace vit {
namespace {

// Resident memory of this process in bytes, from /proc/self/statm.
size_t resident_bytes() {
  long pages_total = 0, pages_resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
  std::fclose(f);
  return static_cast<size_t>(pages_resident) * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

TEST(MatmulCache, StaysBoundedAndMemoryFlatOverManyRowCounts) {
  constexpr int64_t kInputs = 64, kOutputs = 64, kOneDnnCache = 1024;
  constexpr int64_t kShapes = kOneDnnCache + MatmulRunner::kCachedPrimitives + 200;
  std::vector<float> weight(kInputs * kOutputs, 0.5f), bias(kOutputs, 0.25f);
  std::vector<float> x(kShapes * kInputs, 1.0f), y(kShapes * kOutputs);
  MatmulRunner mm;
  const PackedWeights packed = mm.pack(weight.data(), kInputs, kOutputs);
  size_t after_warm_up = 0;
  for (int64_t rows = 1; rows <= kShapes; ++rows) {
    if (rows == kShapes - 199) after_warm_up = resident_bytes();
    mm.linear({rows, kInputs, kOutputs}, x.data(), packed, bias.data(), y.data(), Epilogue::GeluErf);
    ASSERT_LE(mm.cached_primitives(), MatmulRunner::kCachedPrimitives) << "after " << rows << " row counts";
    ASSERT_FLOAT_EQ(y[(rows - 1) * kOutputs], 0.5f * 64 + 0.25f) << "wrong result at " << rows << " rows";  // gelu(32.25)
  }
  const double growth_mib = (static_cast<double>(resident_bytes()) - static_cast<double>(after_warm_up)) / (1 << 20);
  std::printf("resident memory over the last 200 row counts: %+.2f MiB\n", growth_mib);
  EXPECT_LT(growth_mib, 8.0);  // measured: +0.6 to +3.6 MiB on a loaded machine
}

}  // namespace
}  // namespace vit

// Optional timing of a forward pass by op kind (vitbench --profile).
#pragma once
#include <chrono>

namespace vit {

enum class Op { PatchEmbed, Tokens, LayerNorm, QkvGemm, Attention, ProjGemm, Fc1Gemm, Fc2Gemm, Pool, Head, Count };

constexpr int kOpCount = static_cast<int>(Op::Count);
const char* op_name(Op op);

struct OpTimes {
  double ms[kOpCount] = {};
};

// Charges the time since the previous lap to an op; does nothing without an OpTimes.
class OpStopwatch {
 public:
  explicit OpStopwatch(OpTimes* times) : times_(times), last_(now()) {}
  void lap(Op op) {
    if (!times_) return;
    const auto t = now();
    times_->ms[static_cast<int>(op)] += std::chrono::duration<double, std::milli>(t - last_).count();
    last_ = t;
  }

 private:
  static std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }
  OpTimes* times_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace vit

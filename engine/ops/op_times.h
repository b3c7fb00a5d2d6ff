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

// Adds the time from its construction to its destruction to one op's total; does nothing
// without an OpTimes. Time outside every zone is charged to no op.
class OpZone {
 public:
  OpZone(OpTimes* times, Op op) : times_(times), op_(op), start_(times ? now() : Clock::time_point{}) {}
  ~OpZone() {
    if (times_) times_->ms[static_cast<int>(op_)] += std::chrono::duration<double, std::milli>(now() - start_).count();
  }
  OpZone(const OpZone&) = delete;
  OpZone& operator=(const OpZone&) = delete;

 private:
  using Clock = std::chrono::steady_clock;
  static Clock::time_point now() { return Clock::now(); }
  OpTimes* times_;
  Op op_;
  Clock::time_point start_;
};

}  // namespace vit

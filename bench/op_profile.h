// Where a forward pass spends its time, by op kind, measured inside the engine's own forward
// pass (VitModel::forward's OpTimes hook).
#pragma once
#include <map>
#include <string>

#include "engine/model/vit_model.h"

namespace vit {

struct OpProfile {
  std::map<std::string, double> ms;  // per op kind, ms per forward pass (mean over iterations)
  double forward_ms = 0;             // the whole forward pass, mean over the same iterations
};

OpProfile profile_forward(const VitModel& model, const float* pixels, int batch, int warmup, int iters);

}  // namespace vit

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

// What a timed forward pass computes: the logits, else the model's embedding (CLIP's
// image_embeds, else its pooler_output, else pre_logits), as vitrun would.
unsigned timed_outputs(const VitConfig& config);

// `pixels`: [batch, channels, height, width].
OpProfile profile_forward(const VitModel& model, const float* pixels, int batch, int height, int width, int warmup,
                          int iters);

}  // namespace vit

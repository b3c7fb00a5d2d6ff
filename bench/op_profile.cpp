#include "bench/op_profile.h"

#include <chrono>

namespace vit {

unsigned timed_outputs(const VitConfig& c) {
  if (c.num_classes > 0) return kLogits;
  for (OutputKind kind : {kImageEmbeds, kPoolerOutput})
    if (has_output(c, kind)) return kind;
  return kPreLogits;
}

OpProfile profile_forward(const VitModel& model, const float* pixels, int batch, int height, int width, int warmup,
                          int iters) {
  const VitConfig& c = model.config();
  const unsigned outputs = timed_outputs(c);
  for (int i = 0; i < warmup; ++i) model.forward(pixels, batch, height, width, outputs);
  OpTimes times;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) model.forward(pixels, batch, height, width, outputs, &times);
  const double total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  OpProfile p;
  p.forward_ms = total / iters;
  for (int op = 0; op < kOpCount; ++op) p.ms[op_name(static_cast<Op>(op))] = times.ms[op] / iters;
  return p;
}

}  // namespace vit

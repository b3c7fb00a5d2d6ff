// What several importer suites share: a checkpoint imported into a fresh scratch folder, and a
// model's logits on pixels from a .npy file.
#pragma once
#include <string>
#include <vector>

#include "engine/model/vit_model.h"

namespace vit::test {

// Imports `checkpoint` into <scratch_dir(scratch)>/model (as int8 when asked); a failed import
// fails the calling test. Returns the folder.
std::string import_to_scratch(const std::string& checkpoint, const std::string& scratch, bool int8 = false);
// The outputs `what` (kLogits | kFeatures ...) of float32 [N, C, H, W] pixels.
ForwardResult forward_on(const VitModel& model, const std::string& pixels_npy, unsigned what);
// Logits of float32 [N, C, H, W] pixels.
std::vector<float> logits_on(const VitModel& model, const std::string& pixels_npy);
// Logits on a fixture's own input.npy.
std::vector<float> fixture_logits(const VitModel& model, const std::string& fixture_name);

}  // namespace vit::test

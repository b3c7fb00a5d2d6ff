#include "imported_model.h"

#include <sstream>

#include <gtest/gtest.h>

#include "formats/npy.h"
#include "importer/import_checkpoint.h"
#include "test_support/shared_data.h"

namespace vit::test {

std::string import_to_scratch(const std::string& checkpoint, const std::string& scratch, bool int8) {
  ImportOptions o;
  o.checkpoint = checkpoint;
  o.output_dir = scratch_dir(scratch) + "/model";
  o.int8 = int8;
  std::ostringstream log;
  EXPECT_TRUE(import_checkpoint(o, log).written) << log.str();
  return o.output_dir;
}

ForwardResult forward_on(const VitModel& model, const std::string& pixels_npy, unsigned what) {
  const NpyArray input = read_npy(pixels_npy);
  const std::vector<float> pixels = input.tensor().to_float();
  return model.forward(pixels.data(), int(input.shape[0]), int(input.shape[2]), int(input.shape[3]), what);
}

std::vector<float> logits_on(const VitModel& model, const std::string& pixels_npy) {
  return forward_on(model, pixels_npy, kLogits).logits;
}

std::vector<float> fixture_logits(const VitModel& model, const std::string& fixture_name) {
  return logits_on(model, fixture(fixture_name) + "/input.npy");
}

}  // namespace vit::test

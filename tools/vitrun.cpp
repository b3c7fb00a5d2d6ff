// vitrun: runs a converted model folder on pixels from a .npy file.
#include <iostream>

#include "command_line.h"
#include "engine/model_folder.h"
#include "engine/threading.h"
#include "formats/error.h"
#include "formats/npy.h"

namespace {

constexpr const char* kUsage = R"(usage: vitrun --model DIR --input PIXELS.npy --output OUT.npy
              [--output-kind logits|pre_logits|features] [--threads N]

Runs the model folder written by vitimport on float32 pixels [N,C,H,W] (H and W multiples of
the patch size) and writes the requested output as .npy:
  logits      [N, classes]            (the default; mean of both heads for distilled models)
  pre_logits  [N, hidden]             pooled features before the classifier
  features    [N, tokens, hidden]     every token after the final norm
)";

}  // namespace

int main(int argc, char** argv) {
  vit::exec_with_passive_openmp(argv);
  try {
    vit::CommandLine cl(argc, argv, {"--model", "--input", "--output", "--output-kind", "--threads"}, {"--help"});
    if (cl.has("--help")) {
      std::cout << kUsage;
      return 0;
    }
    if (!cl.has("--model") || !cl.has("--input") || !cl.has("--output"))
      vit::fail("", "--model, --input and --output are required (see --help)");
    vit::set_thread_count(cl.get_int("--threads", 0));
    const std::string kind = cl.get("--output-kind", "logits");
    unsigned bit = kind == "logits" ? vit::kLogits : kind == "pre_logits" ? vit::kPreLogits
                 : kind == "features" ? vit::kFeatures : 0u;
    if (!bit) vit::fail("", "--output-kind must be logits, pre_logits or features");
    const vit::VitModel model = vit::load_model(cl.get("--model"));
    const std::string input_path = cl.get("--input");
    vit::NpyArray input = vit::read_npy(input_path);
    if (input.shape.size() != 4 || input.shape[1] != model.config().num_channels)
      vit::fail(input_path, "expected pixels of shape [N, " + std::to_string(model.config().num_channels) +
                                ", H, W], found " + input.tensor().shape_string());
    const std::vector<float> pixels = input.tensor().to_float();
    const int n = static_cast<int>(input.shape[0]), h = static_cast<int>(input.shape[2]),
              w = static_cast<int>(input.shape[3]);
    const vit::ForwardResult r = model.forward(pixels.data(), n, h, w, bit);
    const int d = model.config().hidden_size;
    if (bit == vit::kLogits)
      vit::write_npy(cl.get("--output"), vit::DType::F32, {n, model.config().num_classes}, r.logits.data());
    else if (bit == vit::kPreLogits)
      vit::write_npy(cl.get("--output"), vit::DType::F32, {n, d}, r.pre_logits.data());
    else
      vit::write_npy(cl.get("--output"), vit::DType::F32, {n, r.tokens, d}, r.features.data());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "vitrun: " << e.what() << "\n";
    return 2;
  }
}

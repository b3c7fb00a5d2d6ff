// vitrun: runs a converted model folder on image files or on pixels from a .npy file.
#include <unistd.h>

#include <cstdio>
#include <new>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "command_line.h"
#include "engine/ops/threading.h"
#include "formats/error.h"
#include "formats/npy.h"
#include "image_list.h"
#include "vitcpp/vitcpp.h"

namespace {

constexpr const char* kUsage = R"(usage: vitrun --model DIR IMAGE|FOLDER|@LIST... [options]
       vitrun --model DIR --input PIXELS.npy --output OUT.npy [--output-kind KIND]

Images (PNG, JPEG, BMP, GIF, TGA, PSD, PNM) are preprocessed as the folder's
preprocessor_config.json says and classified:
  --topk K              labels per image (default 5), softmax probabilities
  --json                one JSON object per image and line: {"image": PATH, "topk":
                        [{"index": I, "label": L, "description": D, "prob": P}, ...]}
                        (D: the WordNet lemmas of an ImageNet-1k synset id label, else "")
  --embed OUT.npy       the model's embedding of all images [N, D], in order: CLIP's
                        image_embeds, else the pooler_output (DINOv2, SigLIP, a ViT with its
                        pooler), else pre_logits
  --features OUT.npy    every token [N, tokens, hidden]
  --dump-pixels OUT.npy the preprocessed float32 [N, 3, H, W] (alone: no inference)
  --batch N             images per forward pass (default 8)
  --threads N           threads (default: all cores; at most 4 per core)
  --dtype auto|f32|bf16|int8
                        GEMM precision (default auto: int8 for int8 folders, else f32;
                        bf16 needs AVX512-BF16 or AMX, int8 AVX512-VNNI or AMX)
  --cache DIR           keep the weights packed for this CPU in DIR, so later runs map them
                        instead of packing again (default $VITCPP_CACHE_DIR, else
                        $XDG_CACHE_HOME/vitcpp, else ~/.cache/vitcpp; one file per folder and
                        dtype, at most the size of the float32 weights)
  --no-cache            pack on every run, write nothing
  -h, --help            this text
Unreadable images are reported one line each; the rest are still processed (exit code 3).

Pixels: --input holds float32 [N, C, H, W] (H, W multiples of the patch size); --output-kind
is one of (each where the model has it):
  logits          [N, classes] (default; the mean of both heads for distilled DeiT)
  pre_logits      [N, hidden]: the pooled vector the classifier reads
  features        [N, tokens, hidden]: last_hidden_state
  pooler_output   [N, D]: ViT/DeiT's tanh(dense(class token)); DINOv2/CLIP/SigLIP's pooled vector
  image_embeds    [N, projection]: CLIP's projected embedding
)";

vitcpp::Output output_kind(const std::string& name) {
  vitcpp::Output kind;
  if (vitcpp::output_from_name(name, &kind)) return kind;
  vit::fail("", "--output-kind must be logits, pre_logits, features, pooler_output or image_embeds, not \"" + name +
                    "\"");
}

// The shape of `kind` for n images of `tokens` tokens.
std::vector<int64_t> output_shape(const vitcpp::Model& model, vitcpp::Output kind, int64_t n, int64_t tokens) {
  if (kind == vitcpp::kFeatures) return {n, tokens, model.output_size(kind)};
  return {n, model.output_size(kind)};
}

void write_array(const std::string& path, const std::vector<float>& values, std::vector<int64_t> shape) {
  vit::write_npy(path, vit::DType::F32, shape, values.data());
}

int run_pixels(const vitcpp::Model& model, const vit::CommandLine& cl) {
  if (!cl.has("--output")) vit::fail("", "--input needs --output (see --help)");
  const vitcpp::Output kind = output_kind(cl.get("--output-kind", "logits"));
  if (!model.has_output(kind))
    vit::fail(cl.get("--model"), std::string("this model has no ") + vitcpp::output_name(kind) + " output");
  const std::string input_path = cl.get("--input");
  const vit::NpyArray input = vit::read_npy(input_path);
  if (input.shape.size() != 4 || input.shape[1] != model.num_channels())
    vit::fail(input_path, "expected pixels of shape [N, " + std::to_string(model.num_channels()) + ", H, W], found " +
                              input.tensor().shape_string());
  const std::vector<float> pixels = input.tensor().to_float();
  const int n = static_cast<int>(input.shape[0]);
  const vitcpp::Outputs out = model.run(pixels.data(), pixels.size(), n, static_cast<int>(input.shape[2]),
                                        static_cast<int>(input.shape[3]), kind);
  write_array(cl.get("--output"), out.of(kind), output_shape(model, kind, n, out.tokens));
  return 0;
}

void print_predictions(const std::string& image, const std::vector<vitcpp::Prediction>& best, bool json) {
  if (json) {
    nlohmann::json line = {{"image", image}, {"topk", nlohmann::json::array()}};
    for (const auto& p : best)
      line["topk"].push_back(
          {{"index", p.index}, {"label", p.label}, {"description", p.description}, {"prob", p.probability}});
    std::cout << line.dump() << "\n";
    return;
  }
  std::cout << image << "\n";
  for (const auto& p : best)
    std::printf("  %6.2f%%  %s%s%s (%d)\n", 100.0 * p.probability, p.label.c_str(), p.description.empty() ? "" : " ",
                p.description.c_str(), p.index);
  std::fflush(stdout);
}

void show_progress(size_t done, size_t total) {
  const int width = 40;
  const int filled = static_cast<int>(width * done / total);
  std::fprintf(stderr, "\r[%.*s%*s] %zu/%zu", filled, "########################################", width - filled, "", done,
               total);
  if (done == total) std::fprintf(stderr, "\n");
}

// The images of one batch, preprocessed: all of size *height x *width (0 x 0 before the first
// image); failures are reported and skipped. Sizes may change between batches only when
// nothing stacks images across batches.
struct Batch {
  std::vector<std::string> names;
  std::vector<float> pixels;
};
Batch preprocess_batch(const vitcpp::Model& model, const std::vector<std::string>& images, size_t start, size_t end,
                       bool stacks_across_batches, int* height, int* width, bool* failed) {
  Batch batch;
  for (size_t i = start; i < end; ++i) {
    try {
      int h = 0, w = 0;
      std::vector<float> pixels = model.preprocess_file(images[i], &h, &w);
      if (*height != 0 && (h != *height || w != *width) && (stacks_across_batches || !batch.names.empty()))
        vit::fail(images[i], "preprocessed to " + std::to_string(h) + "x" + std::to_string(w) + ", not the " +
                                 std::to_string(*height) + "x" + std::to_string(*width) +
                                 " of the images before (the folder's processor keeps each image's size)");
      *height = h;
      *width = w;
      batch.pixels.insert(batch.pixels.end(), pixels.begin(), pixels.end());
      batch.names.push_back(images[i]);
    } catch (const std::exception& e) {
      std::cerr << "vitrun: " << e.what() << "\n";
      *failed = true;
    }
  }
  return batch;
}

int run_images(const vitcpp::Model& model, const vit::CommandLine& cl) {
  std::vector<std::string> errors;
  const std::vector<std::string> images = vit::expand_image_arguments(cl.positional(), &errors);
  for (const std::string& e : errors) std::cerr << "vitrun: " << e << "\n";
  if (images.empty() && errors.empty()) vit::fail("", "no images given (see --help)");
  const int topk = cl.get_int("--topk", 5);
  // Images that keep their own sizes do not stack into one batch.
  const int batch_size = model.input_height() > 0 ? cl.get_int("--batch", 8) : 1;
  if (batch_size < 1) vit::fail("", "--batch must be at least 1");
  const bool json = cl.has("--json");
  const bool only_pixels = cl.has("--dump-pixels") && !cl.has("--embed") && !cl.has("--features") && !json &&
                           !cl.has("--topk");
  const bool classify = model.num_classes() > 0 && !only_pixels;
  const vitcpp::Output embedding = model.embedding_output();
  const unsigned what = (classify ? vitcpp::kLogits : 0u) | (cl.has("--embed") ? embedding : 0u) |
                        (cl.has("--features") ? vitcpp::kFeatures : 0u);
  const bool progress = images.size() > 8 && ::isatty(2);
  const bool stacks = cl.has("--dump-pixels") || cl.has("--features");
  int H = model.input_height(), W = model.input_width();
  const int C = model.num_channels();
  std::vector<std::string> labels;
  for (int c = 0; c < model.num_classes(); ++c) labels.push_back(model.label(c));
  std::vector<float> all_pixels, embeddings, features;
  int processed = 0, tokens = 0;
  bool failed = !errors.empty();
  for (size_t start = 0; start < images.size(); start += batch_size) {
    const auto [names, batch] =
        preprocess_batch(model, images, start, std::min(images.size(), start + batch_size), stacks, &H, &W, &failed);
    const int n = static_cast<int>(names.size());
    processed += n;
    if (cl.has("--dump-pixels")) all_pixels.insert(all_pixels.end(), batch.begin(), batch.end());
    if (n > 0 && what != 0) {
      const vitcpp::Outputs out = model.run(batch.data(), batch.size(), n, H, W, what);
      tokens = out.tokens;
      embeddings.insert(embeddings.end(), out.of(embedding).begin(), out.of(embedding).end());
      features.insert(features.end(), out.features.begin(), out.features.end());
      if (classify)
        for (int b = 0; b < n; ++b)
          print_predictions(names[b],
                            vitcpp::top_k(out.logits.data() + static_cast<size_t>(b) * model.num_classes(),
                                          model.num_classes(), topk, labels),
                            json);
    }
    if (progress) show_progress(std::min(images.size(), start + batch_size), images.size());
  }
  if (cl.has("--dump-pixels")) write_array(cl.get("--dump-pixels"), all_pixels, {processed, C, H, W});
  if (cl.has("--embed")) write_array(cl.get("--embed"), embeddings, output_shape(model, embedding, processed, 0));
  if (cl.has("--features")) write_array(cl.get("--features"), features, {processed, tokens, model.hidden_size()});
  return failed ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  vit::exec_with_engine_environment(argv);
  std::string model_dir;  // named when memory runs out
  try {
    vit::CommandLine cl(argc, argv, kUsage,
                        {"--model", "--input", "--output", "--output-kind", "--threads", "--topk", "--embed",
                         "--features", "--dump-pixels", "--batch", "--dtype", "--cache"},
                        {"--json", "--no-cache"});
    if (cl.help()) {
      std::cout << kUsage;
      return 0;
    }
    if (!cl.has("--model")) vit::fail("", "--model is required (see --help)");
    model_dir = cl.get("--model");
    vitcpp::Model::set_threads(cl.get_int("--threads", 0));
    const std::string dtype = cl.get("--dtype", "auto");
    const std::map<std::string, vitcpp::Dtype> dtypes = {{"auto", vitcpp::Dtype::Auto}, {"f32", vitcpp::Dtype::F32},
                                                          {"bf16", vitcpp::Dtype::BF16}, {"int8", vitcpp::Dtype::INT8}};
    if (!dtypes.count(dtype)) vit::fail("", "--dtype must be auto, f32, bf16 or int8");
    if (cl.has("--no-cache") && cl.has("--cache")) vit::fail("", "--cache and --no-cache contradict each other");
    const std::string cache = cl.has("--no-cache") ? "" : cl.get("--cache", vitcpp::default_packed_cache_dir());
    const vitcpp::Model model = vitcpp::Model::load(cl.get("--model"), dtypes.at(dtype), cache);
    return cl.has("--input") ? run_pixels(model, cl) : run_images(model, cl);
  } catch (const std::bad_alloc&) {
    std::cerr << "vitrun: " << model_dir << ": out of memory while loading or running the model\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "vitrun: " << e.what() << "\n";
    return 2;
  }
}

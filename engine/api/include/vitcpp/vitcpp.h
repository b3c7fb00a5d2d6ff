// vitcpp: run a Vision Transformer folder from C++: vitimport's output, or a Hugging Face
// transformers folder of ViT, DeiT, DINOv2, CLIP or SigLIP.
//
//   vitcpp::Model model = vitcpp::Model::load("converted-folder");
//   std::vector<float> pixels = model.preprocess_file("cat.jpg");         // [3, H, W]
//   auto top5 = model.classify(pixels.data(), pixels.size(), 1, 5)[0];   // best first
//
// Errors: every function throws std::runtime_error whose one-line message names the file and
// the problem (an unreadable image, a folder that is not a model, pixels of the wrong size).
// Pixel buffers come with their length in floats, checked against batch x channels x height x
// width before anything is read.
//
// Threads: a loaded Model is immutable, and run / classify / preprocess_* may be called from
// several threads at once on the same Model, with the same results, bit for bit, as one call
// at a time (each call takes its own scratch memory). Each call parallelises internally over
// set_threads() threads (OpenMP); concurrent calls each use that many, sharing the cores.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#if defined(VITCPP_BUILDING_LIBRARY)
#define VITCPP_API __attribute__((visibility("default")))
#else
#define VITCPP_API
#endif

namespace vitcpp {

struct Prediction {
  int index = 0;
  std::string label;
  float probability = 0.0f;  // softmax of the logits (for distilled DeiT: of the averaged heads)
  // For an ImageNet-1k synset id label, its WordNet lemmas ("n02123045" -> "tabby, tabby cat");
  // empty for any other label.
  std::string description;
};

// What a forward pass can give; which a model has: Model::has_output.
enum Output : unsigned {
  kLogits = 1u,         // [batch, num_classes]; distilled DeiT: the mean of both heads
  kPreLogits = 2u,      // [batch, hidden_size]: the pooled vector (after fc_norm / CLIP's
                        //   post_layernorm), what the classifier reads
  kFeatures = 4u,       // [batch, tokens, hidden_size]: transformers' last_hidden_state (after
                        //   the final norm, where the model has one; CLIP's is before
                        //   post_layernorm)
  kPoolerOutput = 8u,   // [batch, output_size]: transformers' pooler_output: ViT/DeiT's
                        //   tanh(dense(class token)), or the pooled vector for DINOv2, CLIP, SigLIP
  kImageEmbeds = 16u,   // [batch, projection_dim]: CLIP's visual_projection(pre_logits)
};

struct Outputs {
  int batch = 0;
  int tokens = 0;  // sequence length (prefix tokens + patches)
  std::vector<float> logits, pre_logits, features, pooler_output, image_embeds;  // those asked for
  const std::vector<float>& of(Output kind) const;
  std::vector<float>& of(Output kind);  // e.g. to move a result out
};

// "logits", "pre_logits", "features", "pooler_output", "image_embeds".
VITCPP_API const char* output_name(Output kind);
// The Output output_name gives `name`; false for any other name.
VITCPP_API bool output_from_name(const std::string& name, Output* kind);

// Number format of the matrix multiplications:
//   F32   float32.
//   BF16  bfloat16 inputs, float32 accumulation (AVX512-BF16 or AMX).
//   INT8  int8 weights (per output channel) x int8 activations (per token), int32
//         accumulation (AVX512-VNNI or AMX); qkv in bfloat16, patch embedding and heads float32.
//   Auto  INT8 for folders written by `vitimport --dtype int8`, F32 otherwise.
// BF16 and INT8 logits agree with F32 to cosine >= 0.999 on the test fixtures; their speed is
// measured with bench/ (README "Speed").
enum class Dtype { Auto, F32, BF16, INT8 };

class VITCPP_API Model {
 public:
  // Reads <folder>/config.json, the weights (model.safetensors, sharded safetensors or
  // pytorch_model.bin) and preprocessor_config.json.
  // packed_cache_dir: where to keep the weights packed for this CPU between runs (one file per
  // folder and dtype, at most the size of the float32 weights; written on the first load, mapped
  // by later ones, rewritten when the weights change; README "Speed" gives the load times).
  // Empty: pack on every load. default_packed_cache_dir() is a good choice.
  // progress, when given, is told the fraction of the weights packed so far (0 to 1, several
  // times per load); returning false stops the load, which then throws std::runtime_error
  // "load: stopped by the progress callback".
  static Model load(const std::string& folder, Dtype dtype = Dtype::Auto, const std::string& packed_cache_dir = "",
                    const std::function<bool(float fraction)>& progress = {});

  int num_classes() const;  // 0 for a feature extractor
  Dtype dtype() const;      // the one in use (never Auto)
  int hidden_size() const;
  int num_channels() const;
  // The size preprocess_* give every image; 0 when it depends on the image (a processor that
  // neither resizes nor crops): then take each image's size from preprocess_* and pass it on.
  int input_height() const;
  int input_width() const;
  std::string label(int index) const;  // id2label, or "LABEL_<index>"

  // The sequence length (prefix tokens + patches) of an input of this size.
  int tokens(int height, int width) const;
  bool has_output(Output kind) const;
  int output_size(Output kind) const;  // floats per image (kFeatures: per token); 0 when absent
  // The model's embedding, what `vitrun --embed` writes: CLIP's image_embeds, else the
  // pooler_output (DINOv2, SigLIP, a ViT with its pooler), else pre_logits.
  Output embedding_output() const;

  // Decodes an image (PNG, JPEG, BMP, GIF, TGA, PSD, PNM) and applies the folder's pipeline:
  // float32 [3, height, width], channels first; height and width (also stored through the
  // optional pointers) are input_height() and input_width() when those are not 0.
  std::vector<float> preprocess_file(const std::string& path, int* height = nullptr, int* width = nullptr) const;
  std::vector<float> preprocess_memory(const void* data, size_t size, const std::string& name = "<memory>",
                                       int* height = nullptr, int* width = nullptr) const;
  // An already decoded 8-bit frame: `channels` 3 (RGB) or 4 (RGBA: alpha dropped, as PIL's
  // convert('RGB') does), rows `stride` bytes apart (at least width * channels).
  std::vector<float> preprocess_pixels(const uint8_t* pixels, int width, int height, size_t stride, int channels,
                                       int* out_height = nullptr, int* out_width = nullptr) const;

  // pixels: `count` floats, float32 [batch, channels, height, width]; count must be exactly
  // batch * channels * height * width, and height and width multiples of the patch size.
  // `what` is a mask of Output values, each one the model has (else an exception).
  Outputs run(const float* pixels, size_t count, int batch, int height, int width, unsigned what) const;
  // Top-k predictions per image (best first; k is clamped to 0..num_classes()), from pixels of
  // the preprocessed size; the first form needs input_height() and input_width() not 0.
  std::vector<std::vector<Prediction>> classify(const float* pixels, size_t count, int batch, int topk) const;
  std::vector<std::vector<Prediction>> classify(const float* pixels, size_t count, int batch, int height, int width,
                                                int topk) const;

  // Threads for every call started afterwards, from any thread, on every Model (0: the default,
  // OMP_NUM_THREADS when set, else all cores). Throws for a negative count or one above
  // 4 per core.
  static void set_threads(int threads);
  static int threads();  // the count in effect

  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// $VITCPP_CACHE_DIR, else $XDG_CACHE_HOME/vitcpp, else $HOME/.cache/vitcpp; empty if none is set.
VITCPP_API std::string default_packed_cache_dir();

// Softmax probabilities of one row of logits, and its k best entries (best first).
VITCPP_API std::vector<Prediction> top_k(const float* logits, int num_classes, int k,
                                         const std::vector<std::string>& labels = {});

}  // namespace vitcpp

// The public API (engine/api/include/vitcpp/vitcpp.h) over the engine.
#include "vitcpp/vitcpp.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/image/image_decode.h"
#include "imagenet_descriptions.h"
#include "engine/model/model_folder.h"
#include "engine/model/packed_cache.h"
#include "engine/image/preprocess.h"
#include "engine/ops/threading.h"
#include "formats/error.h"

namespace vitcpp {

struct Model::Impl {
  vit::VitModel model;
  vit::PreprocessConfig preprocess;
  std::vector<std::string> labels;
  int input_height = 0, input_width = 0;
};

namespace {

std::vector<std::string> labels_of(const vit::VitConfig& c) {
  std::vector<std::string> labels(c.num_classes);
  for (int i = 0; i < c.num_classes; ++i) {
    auto it = c.id2label.find(i);
    labels[i] = it != c.id2label.end() ? it->second : "LABEL_" + std::to_string(i);
  }
  return labels;
}

// Decodes and preprocesses, naming `where` in every error, running out of memory included.
template <typename Decode>
std::vector<float> preprocessed(const std::string& where, Decode decode, const vit::PreprocessConfig& config,
                                int* height, int* width) {
  vit::use_thread_count();
  try {
    vit::PreprocessStages stages = vit::preprocess_stages(decode(), config);
    if (height) *height = stages.cropped.height;
    if (width) *width = stages.cropped.width;
    return std::move(stages.tensor);
  } catch (const std::bad_alloc&) {
    vit::fail(where, "out of memory while decoding or preprocessing the image");
  } catch (const vit::Error& e) {
    const std::string message = e.what();
    if (message.rfind(where + ": ", 0) == 0) throw;
    vit::fail(where, message);
  }
}

// An RGB copy of a caller's 8-bit RGB or RGBA frame, checked like a decoded image.
vit::Image frame_image(const uint8_t* pixels, int width, int height, size_t stride, int channels) {
  if (!pixels || width <= 0 || height <= 0 || (channels != 3 && channels != 4))
    vit::fail("frame", "needs pixels, a positive width and height, and 3 (RGB) or 4 (RGBA) channels");
  if (stride < static_cast<size_t>(width) * channels)
    vit::fail("frame", "stride " + std::to_string(stride) + " is shorter than a row of " + std::to_string(width) +
                           " pixels");
  if (static_cast<uint64_t>(width) * static_cast<uint64_t>(height) > vit::kDefaultMaxImagePixels)
    vit::fail("frame", "has more than " + std::to_string(vit::kDefaultMaxImagePixels) + " pixels");
  vit::Image image(width, height);
  for (int y = 0; y < height; ++y) {
    const uint8_t* src = pixels + static_cast<size_t>(y) * stride;
    uint8_t* dst = image.row(y);
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) dst[x * 3 + c] = src[static_cast<size_t>(x) * channels + c];
  }
  return image;
}

constexpr Output kAllOutputs[] = {kLogits, kPreLogits, kFeatures, kPoolerOutput, kImageEmbeds};

vit::OutputKind engine_output(Output kind) {
  switch (kind) {
    case kLogits: return vit::kLogits;
    case kPreLogits: return vit::kPreLogits;
    case kFeatures: return vit::kFeatures;
    case kPoolerOutput: return vit::kPoolerOutput;
    case kImageEmbeds: return vit::kImageEmbeds;
  }
  vit::fail("run", "unknown output kind " + std::to_string(static_cast<unsigned>(kind)));
}

// Throws unless `count` floats are exactly batch x channels x height x width.
void check_pixel_count(size_t count, int batch, int channels, int height, int width) {
  if (batch <= 0 || height <= 0 || width <= 0)
    vit::fail("run", "batch, height and width must be positive (got " + std::to_string(batch) + ", " +
                         std::to_string(height) + ", " + std::to_string(width) + ")");
  size_t needed = 0;
  const bool overflow = __builtin_mul_overflow(static_cast<size_t>(batch), static_cast<size_t>(channels), &needed) ||
                        __builtin_mul_overflow(needed, static_cast<size_t>(height), &needed) ||
                        __builtin_mul_overflow(needed, static_cast<size_t>(width), &needed);
  if (overflow || count != needed)
    vit::fail("run", std::to_string(count) + " floats given, but batch " + std::to_string(batch) + " x " +
                         std::to_string(channels) + " x " + std::to_string(height) + " x " + std::to_string(width) +
                         (overflow ? " is too large" : " needs " + std::to_string(needed)));
}

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

Model Model::load(const std::string& folder, Dtype dtype, const std::string& packed_cache_dir,
                  const std::function<bool(float)>& progress) {
  std::optional<vit::Precision> precision;
  if (dtype == Dtype::F32) precision = vit::Precision::F32;
  if (dtype == Dtype::BF16) precision = vit::Precision::BF16;
  if (dtype == Dtype::INT8) precision = vit::Precision::Int8;
  vit::VitModel model = vit::load_model(folder, precision, packed_cache_dir, progress);
  vit::PreprocessConfig preprocess = vit::load_preprocess_config(folder);
  const vit::ImageSize size = vit::fixed_output_size(preprocess).value_or(vit::ImageSize{0, 0});
  auto impl = std::unique_ptr<Impl>(new Impl{std::move(model), preprocess, {}, size.height, size.width});
  impl->labels = labels_of(impl->model.config());
  return Model(std::move(impl));
}

std::string default_packed_cache_dir() { return vit::default_packed_cache_dir(); }

int Model::num_classes() const { return impl_->model.config().num_classes; }

Dtype Model::dtype() const {
  switch (impl_->model.precision()) {
    case vit::Precision::BF16: return Dtype::BF16;
    case vit::Precision::Int8: return Dtype::INT8;
    case vit::Precision::F32: break;
  }
  return Dtype::F32;
}
int Model::hidden_size() const { return impl_->model.config().hidden_size; }
int Model::num_channels() const { return impl_->model.config().num_channels; }
int Model::input_height() const { return impl_->input_height; }
int Model::input_width() const { return impl_->input_width; }

std::string Model::label(int index) const {
  if (index >= 0 && index < static_cast<int>(impl_->labels.size())) return impl_->labels[index];
  return "LABEL_" + std::to_string(index);
}

std::vector<float> Model::preprocess_file(const std::string& path, int* height, int* width) const {
  return preprocessed(path, [&] { return vit::load_image(path); }, impl_->preprocess, height, width);
}

std::vector<float> Model::preprocess_memory(const void* data, size_t size, const std::string& name, int* height,
                                            int* width) const {
  const auto decode = [&] { return vit::decode_image(static_cast<const uint8_t*>(data), size, name); };
  return preprocessed(name, decode, impl_->preprocess, height, width);
}

int Model::tokens(int height, int width) const {
  const vit::VitConfig& c = impl_->model.config();
  return c.prefix_tokens() + (height / c.patch_size) * (width / c.patch_size);
}

bool Model::has_output(Output kind) const { return vit::has_output(impl_->model.config(), engine_output(kind)); }

int Model::output_size(Output kind) const {
  return has_output(kind) ? vit::output_width(impl_->model.config(), engine_output(kind)) : 0;
}

Output Model::embedding_output() const {
  if (has_output(kImageEmbeds)) return kImageEmbeds;
  return has_output(kPoolerOutput) ? kPoolerOutput : kPreLogits;
}

std::vector<float> Model::preprocess_pixels(const uint8_t* pixels, int width, int height, size_t stride,
                                         int channels, int* out_height, int* out_width) const {
  const auto frame = [&] { return frame_image(pixels, width, height, stride, channels); };
  return preprocessed("frame", frame, impl_->preprocess, out_height, out_width);
}

Outputs Model::run(const float* pixels, size_t count, int batch, int height, int width, unsigned what) const {
  check_pixel_count(count, batch, num_channels(), height, width);
  vit::use_thread_count();
  unsigned wanted = 0;
  for (Output kind : kAllOutputs)
    if (what & kind) wanted |= engine_output(kind);
  vit::ForwardResult r = impl_->model.forward(pixels, batch, height, width, wanted);
  Outputs out;
  out.batch = r.batch;
  out.tokens = r.tokens;
  out.logits = std::move(r.logits);
  out.pre_logits = std::move(r.pre_logits);
  out.features = std::move(r.features);
  out.pooler_output = std::move(r.pooler_output);
  out.image_embeds = std::move(r.image_embeds);
  return out;
}

const std::vector<float>& Outputs::of(Output kind) const { return const_cast<Outputs*>(this)->of(kind); }

std::vector<float>& Outputs::of(Output kind) {
  switch (kind) {
    case kLogits: return logits;
    case kPreLogits: return pre_logits;
    case kFeatures: return features;
    case kPoolerOutput: return pooler_output;
    case kImageEmbeds: return image_embeds;
  }
  vit::fail("Outputs", "unknown output kind " + std::to_string(static_cast<unsigned>(kind)));
}

const char* output_name(Output kind) {
  switch (kind) {
    case kLogits: return "logits";
    case kPreLogits: return "pre_logits";
    case kFeatures: return "features";
    case kPoolerOutput: return "pooler_output";
    case kImageEmbeds: return "image_embeds";
  }
  return "?";
}

bool output_from_name(const std::string& name, Output* kind) {
  for (Output candidate : kAllOutputs)
    if (name == output_name(candidate)) {
      *kind = candidate;
      return true;
    }
  return false;
}

std::vector<std::vector<Prediction>> Model::classify(const float* pixels, size_t count, int batch, int topk) const {
  if (input_height() == 0 || input_width() == 0)
    vit::fail("classify", "this model's input size depends on the image; pass each image's height and width");
  return classify(pixels, count, batch, input_height(), input_width(), topk);
}

std::vector<std::vector<Prediction>> Model::classify(const float* pixels, size_t count, int batch, int height, int width,
                                                     int topk) const {
  const Outputs out = run(pixels, count, batch, height, width, kLogits);
  std::vector<std::vector<Prediction>> result;
  const int classes = num_classes();
  for (int b = 0; b < batch; ++b)
    result.push_back(top_k(out.logits.data() + static_cast<size_t>(b) * classes, classes, topk, impl_->labels));
  return result;
}

void Model::set_threads(int threads) { vit::set_thread_count(threads); }
int Model::threads() { return vit::thread_count(); }

std::vector<Prediction> top_k(const float* logits, int num_classes, int k, const std::vector<std::string>& labels) {
  if (num_classes <= 0) return {};
  const float max = *std::max_element(logits, logits + num_classes);
  std::vector<double> probabilities(num_classes);
  double sum = 0.0;
  for (int i = 0; i < num_classes; ++i) sum += probabilities[i] = std::exp(static_cast<double>(logits[i]) - max);
  std::vector<int> order(num_classes);
  std::iota(order.begin(), order.end(), 0);
  k = std::max(0, std::min(k, num_classes));
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  std::vector<Prediction> best;
  for (int i = 0; i < k; ++i) {
    const int c = order[i];
    std::string label = c < static_cast<int>(labels.size()) ? labels[c] : "LABEL_" + std::to_string(c);
    std::string description = imagenet1k_description(label);
    best.push_back({c, std::move(label), static_cast<float>(probabilities[c] / sum), std::move(description)});
  }
  return best;
}

}  // namespace vitcpp

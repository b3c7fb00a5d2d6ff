// The C API (include/vitcpp/vitcpp_c.h) over the C++ one: handles, status codes, error
// messages and caller-owned buffers; no exception leaves this file.
#include "vitcpp/vitcpp_c.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <unordered_set>
#include <vector>

#include "formats/error.h"
#include "vitcpp/vitcpp.h"

struct vitcpp_model {
  vitcpp::Model model;
  mutable std::mutex error_mutex;
  mutable std::string last_error;
};

namespace {

thread_local std::string t_last_error;

// Every model handed out and not yet freed: a handle is checked here before it is read, so a
// pointer that never was a model, or a freed one, is refused without touching its memory.
std::mutex g_live_mutex;
std::unordered_set<const vitcpp_model*> g_live;

bool live(const vitcpp_model* model) {
  std::lock_guard<std::mutex> lock(g_live_mutex);
  return model && g_live.count(model) > 0;
}

vitcpp_status failure(vitcpp_status status, const std::string& message, const vitcpp_model* model) {
  t_last_error = message;
  if (live(model)) {
    std::lock_guard<std::mutex> lock(model->error_mutex);
    model->last_error = message;
  }
  return status;
}

// Runs body, turning every exception into a status and a message.
template <typename Body>
vitcpp_status guarded(const vitcpp_model* model, Body body) {
  try {
    return body();
  } catch (const vit::Aborted& e) {
    return failure(VITCPP_ABORTED, e.what(), model);
  } catch (const std::bad_alloc&) {
    return failure(VITCPP_OUT_OF_MEMORY, "out of memory", model);
  } catch (const std::runtime_error& e) {  // the engine's one-line refusals
    return failure(VITCPP_FAILED, e.what(), model);
  } catch (const std::exception& e) {
    return failure(VITCPP_INTERNAL, e.what(), model);
  } catch (...) {
    return failure(VITCPP_INTERNAL, "unknown exception", model);
  }
}

vitcpp_status bad_handle(const vitcpp_model* model) {
  return failure(VITCPP_BAD_HANDLE, model ? "not a live vitcpp_model handle" : "the model handle is NULL", nullptr);
}

bool is_output(int kind) {
  return kind == VITCPP_OUTPUT_LOGITS || kind == VITCPP_OUTPUT_PRE_LOGITS || kind == VITCPP_OUTPUT_FEATURES ||
         kind == VITCPP_OUTPUT_POOLER_OUTPUT || kind == VITCPP_OUTPUT_IMAGE_EMBEDS;
}

vitcpp::Output cpp_output(vitcpp_output kind) { return static_cast<vitcpp::Output>(kind); }

vitcpp_dtype c_dtype(vitcpp::Dtype dtype) {
  switch (dtype) {
    case vitcpp::Dtype::BF16: return VITCPP_DTYPE_BF16;
    case vitcpp::Dtype::INT8: return VITCPP_DTYPE_INT8;
    case vitcpp::Dtype::Auto: return VITCPP_DTYPE_AUTO;
    case vitcpp::Dtype::F32: break;
  }
  return VITCPP_DTYPE_F32;
}

// Copies preprocessed pixels out, or says how large the buffer must be.
vitcpp_status deliver_pixels(const vitcpp_model* model, const std::vector<float>& pixels, float* out, size_t capacity) {
  if (capacity < pixels.size())
    return failure(VITCPP_BUFFER_TOO_SMALL,
                   "the preprocessed image needs " + std::to_string(pixels.size()) + " floats, the buffer holds " +
                       std::to_string(capacity),
                   model);
  std::copy(pixels.begin(), pixels.end(), out);
  return VITCPP_OK;
}

// Preprocesses with `make` (which fills *height and *width) into out.
template <typename Make>
vitcpp_status preprocess_into(const vitcpp_model* model, bool input_given, float* out, size_t capacity, int* height,
                              int* width, Make make) {
  if (!live(model)) return bad_handle(model);
  if (!input_given || !out || !height || !width)
    return failure(VITCPP_INVALID_ARGUMENT, "preprocess: the input, out, height and width must not be NULL", model);
  return guarded(model, [&] { return deliver_pixels(model, make(), out, capacity); });
}

// Floats one output takes for batch images of tokens tokens.
size_t output_floats(const vitcpp::Model& m, vitcpp_output kind, int batch, int tokens) {
  const size_t per_image = static_cast<size_t>(m.output_size(cpp_output(kind)));
  return per_image * static_cast<size_t>(batch) * (kind == VITCPP_OUTPUT_FEATURES ? static_cast<size_t>(tokens) : 1u);
}

// Checks every requested output exists and fits; sets `written` to the floats each needs.
vitcpp_status check_outputs(const vitcpp_model* model, int batch, int tokens, vitcpp_output_buffer* outputs,
                            size_t n_outputs) {
  bool fits = true;
  for (size_t i = 0; i < n_outputs; ++i) {
    vitcpp_output_buffer& o = outputs[i];
    if (!is_output(o.kind) || !o.data)
      return failure(VITCPP_INVALID_ARGUMENT, "run: output " + std::to_string(i) + " has no buffer or an unknown kind",
                     model);
    if (!model->model.has_output(cpp_output(o.kind)))
      return failure(VITCPP_FAILED, std::string("run: this model has no ") + vitcpp::output_name(cpp_output(o.kind)) +
                                        " output", model);
    o.written = output_floats(model->model, o.kind, batch, tokens);
    fits = fits && o.capacity >= o.written;
  }
  if (!fits) return failure(VITCPP_BUFFER_TOO_SMALL, "run: an output buffer is too small (see its written)", model);
  return VITCPP_OK;
}

vitcpp_status run_checked(const vitcpp_model* model, const float* pixels, size_t count, int batch, int height,
                          int width, vitcpp_output_buffer* outputs, size_t n_outputs) {
  const vitcpp::Model& m = model->model;
  const size_t needed = static_cast<size_t>(batch) * m.num_channels() * height * width;
  if (count != needed)
    return failure(VITCPP_INVALID_ARGUMENT, "run: " + std::to_string(count) + " floats given, batch x channels x " +
                                                "height x width needs " + std::to_string(needed), model);
  const vitcpp_status fit = check_outputs(model, batch, m.tokens(height, width), outputs, n_outputs);
  if (fit != VITCPP_OK) return fit;
  unsigned mask = 0;
  for (size_t i = 0; i < n_outputs; ++i) mask |= outputs[i].kind;
  const vitcpp::Outputs result = m.run(pixels, count, batch, height, width, mask);
  for (size_t i = 0; i < n_outputs; ++i) {
    const std::vector<float>& values = result.of(cpp_output(outputs[i].kind));
    std::copy(values.begin(), values.end(), outputs[i].data);
    outputs[i].written = values.size();
  }
  return VITCPP_OK;
}

// Copies text, NUL-terminated, into a caller buffer.
vitcpp_status copy_text(const vitcpp_model* model, const std::string& text, char* out, size_t capacity,
                        size_t* needed) {
  if (needed) *needed = text.size() + 1;
  if (!out || capacity < text.size() + 1)
    return failure(VITCPP_BUFFER_TOO_SMALL, "the text needs " + std::to_string(text.size() + 1) + " bytes", model);
  std::memcpy(out, text.c_str(), text.size() + 1);
  return VITCPP_OK;
}

vitcpp::Dtype cpp_dtype(vitcpp_dtype dtype) {
  switch (dtype) {
    case VITCPP_DTYPE_F32: return vitcpp::Dtype::F32;
    case VITCPP_DTYPE_BF16: return vitcpp::Dtype::BF16;
    case VITCPP_DTYPE_INT8: return vitcpp::Dtype::INT8;
    case VITCPP_DTYPE_AUTO: break;
  }
  return vitcpp::Dtype::Auto;
}

vitcpp_status load(const char* folder, const vitcpp_load_options& o, vitcpp_model** out) {
  if (o.dtype < VITCPP_DTYPE_AUTO || o.dtype > VITCPP_DTYPE_INT8)
    return failure(VITCPP_INVALID_ARGUMENT, "load: unknown dtype " + std::to_string(o.dtype), nullptr);
  vitcpp::Model::set_threads(o.threads);
  const auto progress = [&](float fraction) { return !o.progress || o.progress(fraction, o.progress_user_data) == 0; };
  vitcpp::Model model = vitcpp::Model::load(folder, cpp_dtype(o.dtype), o.cache_dir ? o.cache_dir : "", progress);
  *out = new vitcpp_model{std::move(model), {}, {}};
  std::lock_guard<std::mutex> lock(g_live_mutex);
  g_live.insert(*out);
  return VITCPP_OK;
}

}  // namespace

extern "C" {

const char* vitcpp_version(void) { return "0.1.0"; }

const char* vitcpp_last_error(void) { return t_last_error.c_str(); }

void vitcpp_load_options_init(vitcpp_load_options* options) {
  if (!options) return;
  *options = vitcpp_load_options{};
  options->struct_size = sizeof(vitcpp_load_options);
  options->dtype = VITCPP_DTYPE_AUTO;
}

vitcpp_status vitcpp_model_load(const char* folder, const vitcpp_load_options* options, vitcpp_model** model) {
  if (!model) return failure(VITCPP_INVALID_ARGUMENT, "load: model (the handle's address) is NULL", nullptr);
  *model = nullptr;
  if (!folder) return failure(VITCPP_INVALID_ARGUMENT, "load: folder is NULL", nullptr);
  vitcpp_load_options defaults;
  vitcpp_load_options_init(&defaults);
  if (options && options->struct_size < sizeof(vitcpp_load_options))
    return failure(VITCPP_INVALID_ARGUMENT, "load: options.struct_size is not sizeof(vitcpp_load_options)", nullptr);
  return guarded(nullptr, [&] { return load(folder, options ? *options : defaults, model); });
}

void vitcpp_model_free(vitcpp_model* model) {
  {
    std::lock_guard<std::mutex> lock(g_live_mutex);
    if (!model || g_live.erase(model) == 0) return;  // NULL, foreign or already freed: ignored
  }
  delete model;
}

vitcpp_status vitcpp_model_last_error(const vitcpp_model* model, char* message, size_t capacity, size_t* needed) {
  if (!live(model)) return bad_handle(model);
  std::string text;
  {
    std::lock_guard<std::mutex> lock(model->error_mutex);
    text = model->last_error;
  }
  if (message && capacity > 0) {
    const size_t n = std::min(text.size(), capacity - 1);
    std::memcpy(message, text.data(), n);
    message[n] = '\0';
  }
  if (needed) *needed = text.size() + 1;
  return VITCPP_OK;
}

vitcpp_status vitcpp_model_get_info(const vitcpp_model* model, vitcpp_model_info* info) {
  if (!live(model)) return bad_handle(model);
  if (!info || info->struct_size < sizeof(vitcpp_model_info))
    return failure(VITCPP_INVALID_ARGUMENT, "info is NULL or its struct_size is not sizeof(vitcpp_model_info)", model);
  const vitcpp::Model& m = model->model;
  info->num_classes = m.num_classes();
  info->hidden_size = m.hidden_size();
  info->num_channels = m.num_channels();
  info->input_height = m.input_height();
  info->input_width = m.input_width();
  info->dtype = c_dtype(m.dtype());
  info->outputs = 0;
  for (int kind = VITCPP_OUTPUT_LOGITS; kind <= VITCPP_OUTPUT_IMAGE_EMBEDS; kind *= 2)
    if (m.has_output(static_cast<vitcpp::Output>(kind))) info->outputs |= static_cast<unsigned>(kind);
  info->embedding = static_cast<vitcpp_output>(m.embedding_output());
  return VITCPP_OK;
}

vitcpp_status vitcpp_model_output_size(const vitcpp_model* model, vitcpp_output output, int batch, int height,
                                       int width, size_t* floats) {
  if (!live(model)) return bad_handle(model);
  if (!floats || !is_output(output) || batch <= 0 || height <= 0 || width <= 0)
    return failure(VITCPP_INVALID_ARGUMENT, "output_size: needs a known output, positive sizes and floats", model);
  if (!model->model.has_output(cpp_output(output)))
    return failure(VITCPP_FAILED, std::string("this model has no ") + vitcpp::output_name(cpp_output(output)) +
                                      " output", model);
  *floats = output_floats(model->model, output, batch, model->model.tokens(height, width));
  return VITCPP_OK;
}

vitcpp_status vitcpp_model_label(const vitcpp_model* model, int index, char* label, size_t capacity, size_t* needed) {
  if (!live(model)) return bad_handle(model);
  if (index < 0 || index >= model->model.num_classes())
    return failure(VITCPP_INVALID_ARGUMENT, "label: index " + std::to_string(index) + " is not a class of this model",
                   model);
  return guarded(model, [&] { return copy_text(model, model->model.label(index), label, capacity, needed); });
}

vitcpp_status vitcpp_preprocess_file(const vitcpp_model* model, const char* path, float* out, size_t capacity,
                                     int* height, int* width) {
  return preprocess_into(model, path != nullptr, out, capacity, height, width,
                         [&] { return model->model.preprocess_file(path, height, width); });
}

vitcpp_status vitcpp_preprocess_encoded(const vitcpp_model* model, const void* bytes, size_t size, float* out,
                                        size_t capacity, int* height, int* width) {
  return preprocess_into(model, bytes != nullptr, out, capacity, height, width,
                         [&] { return model->model.preprocess_memory(bytes, size, "<memory>", height, width); });
}

vitcpp_status vitcpp_preprocess_rgb(const vitcpp_model* model, const uint8_t* pixels, int frame_width,
                                    int frame_height, size_t stride, int channels, float* out, size_t capacity,
                                    int* height, int* width) {
  return preprocess_into(model, pixels != nullptr, out, capacity, height, width, [&] {
    return model->model.preprocess_pixels(pixels, frame_width, frame_height, stride, channels, height, width);
  });
}

vitcpp_status vitcpp_run(const vitcpp_model* model, const float* pixels, size_t count, int batch, int height,
                         int width, vitcpp_output_buffer* outputs, size_t n_outputs) {
  if (!live(model)) return bad_handle(model);
  if (!pixels || (!outputs && n_outputs > 0) || batch <= 0 || height <= 0 || width <= 0)
    return failure(VITCPP_INVALID_ARGUMENT, "run: needs pixels, output buffers and positive sizes", model);
  return guarded(model, [&] { return run_checked(model, pixels, count, batch, height, width, outputs, n_outputs); });
}

}  // extern "C"

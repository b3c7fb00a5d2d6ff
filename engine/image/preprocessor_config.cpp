#include "engine/image/preprocessor_config.h"

#include <cmath>
#include <sstream>
#include <string>

#include "formats/error.h"
#include "formats/json_file.h"

namespace vit {

namespace {

using nlohmann::json;

constexpr int kMaxSide = 8192;  // 8192 x 8192 is the image pixel limit (image_decode.h)
constexpr std::array<double, 3> kImagenetMean{0.485, 0.456, 0.406};
constexpr std::array<double, 3> kImagenetStd{0.229, 0.224, 0.225};
constexpr std::array<double, 3> kOpenaiClipMean{0.48145466, 0.4578275, 0.40821073};
constexpr std::array<double, 3> kOpenaiClipStd{0.26862954, 0.26130258, 0.27577711};

// What a bare number means as a processor's "size" (transformers' get_size_dict with the
// class's default_to_square): a square, the shortest edge, or nothing the class can resize to.
enum class IntSize { Square, ShortestEdge, Refused };

struct HfProcessor {
  const char* names[3];  // the class, its Fast twin, its legacy FeatureExtractor (or null)
  PreprocessConfig (*defaults)();
  bool crops;            // do_center_crop and crop_size apply
  IntSize int_size;      // also: {"shortest_edge": S} is accepted when this is ShortestEdge
};

const HfProcessor kHfProcessors[] = {
    {{"ViTImageProcessor", "ViTImageProcessorFast", "ViTFeatureExtractor"}, hf_vit_defaults, false, IntSize::Square},
    {{"DeiTImageProcessor", "DeiTImageProcessorFast", "DeiTFeatureExtractor"}, hf_deit_defaults, true, IntSize::Square},
    {{"BitImageProcessor", "BitImageProcessorFast", nullptr}, hf_bit_defaults, true, IntSize::ShortestEdge},
    {{"CLIPImageProcessor", "CLIPImageProcessorFast", "CLIPFeatureExtractor"}, hf_clip_defaults, true,
     IntSize::ShortestEdge},
    {{"SiglipImageProcessor", "SiglipImageProcessorFast", nullptr}, hf_siglip_defaults, false, IntSize::Refused},
};

int side(const json& v, const std::string& where) {
  if (!v.is_number_integer()) fail(where, "must be a whole number of pixels");
  const int64_t n = v.get<int64_t>();
  if (n < 1 || n > kMaxSide)
    fail(where, "must be between 1 and " + std::to_string(kMaxSide) + ", got " + std::to_string(n));
  return static_cast<int>(n);
}

// transformers' size dicts: {"height": h, "width": w}; {"shortest_edge": s} where the class
// takes it (*shortest_edge set, the others kept); a bare number as `int_size` says.
void get_size(const json& j, const char* key, IntSize int_size, int& width, int& height, int* shortest_edge,
              const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return;
  const json& v = j[key];
  const std::string at = json_key_where(where, key);
  const bool edges = int_size == IntSize::ShortestEdge;
  if (v.is_number() && int_size != IntSize::Refused) {
    (edges ? *shortest_edge : width) = side(v, at);
    if (!edges) height = width;
    return;
  }
  if (!v.is_object()) fail(at, "must be {\"height\": H, \"width\": W}" + std::string(edges ? " or {\"shortest_edge\": S}" : ""));
  if (v.contains("longest_edge") || (v.contains("shortest_edge") && !edges))
    fail(at, std::string(v.contains("longest_edge") ? "longest_edge" : "shortest_edge") +
                 " is not supported by this processor; use height and width");
  if (edges && v.contains("shortest_edge")) {
    *shortest_edge = side(v["shortest_edge"], at + ".shortest_edge");
    return;
  }
  if (!v.contains("height") || !v.contains("width")) fail(at, "needs both \"height\" and \"width\"");
  height = side(v["height"], at + ".height");
  width = side(v["width"], at + ".width");
  if (shortest_edge) *shortest_edge = 0;
}

void get_channels(const json& j, const char* key, std::array<double, 3>& out, bool nonzero,
                  const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return;
  const json& v = j[key];
  const std::string at = json_key_where(where, key);
  std::array<double, 3> values{};
  if (v.is_number()) {
    values.fill(v.get<double>());
  } else if (v.is_array() && v.size() == 3) {
    for (int c = 0; c < 3; ++c) {
      if (!v[c].is_number()) fail(at, "must hold numbers");
      values[c] = v[c].get<double>();
    }
  } else {
    fail(at, "must be a number or a list of 3 numbers (one per RGB channel)");
  }
  for (int c = 0; c < 3; ++c) {
    if (!std::isfinite(values[c]) || (nonzero && values[c] == 0.0))
      fail(at, nonzero ? "must be finite and non-zero" : "must be finite");
    out[c] = values[c];
  }
}

PreprocessConfig parse_hf(const json& j, const HfProcessor& processor, const std::string& where) {
  PreprocessConfig c = processor.defaults();
  c.do_resize = optional_field<bool>(j, "do_resize", c.do_resize, where);
  get_size(j, "size", processor.int_size, c.resize_width, c.resize_height, &c.resize_shortest_edge, where);
  c.resample = filter_from_pil_code(optional_field<int>(j, "resample", pil_code(c.resample), where),
                                    json_key_where(where, "resample"));
  if (processor.crops) {
    c.do_center_crop = optional_field<bool>(j, "do_center_crop", c.do_center_crop, where);
    get_size(j, "crop_size", IntSize::Square, c.crop_width, c.crop_height, nullptr, where);
  }
  optional_field<bool>(j, "do_convert_rgb", true, where);  // decoded images are RGB already
  c.do_rescale = optional_field<bool>(j, "do_rescale", c.do_rescale, where);
  c.rescale_factor = optional_field<double>(j, "rescale_factor", c.rescale_factor, where);
  c.do_normalize = optional_field<bool>(j, "do_normalize", c.do_normalize, where);
  get_channels(j, "image_mean", c.mean, false, where);
  get_channels(j, "image_std", c.std, true, where);
  return c;
}

PreprocessConfig parse_timm(const json& j, const std::string& where) {
  PreprocessConfig c = timm_eval_defaults(224);
  if (!j.contains("input_size")) fail(where, "a TimmEvalTransform needs \"input_size\"");
  const json& size = j["input_size"];
  const std::string at = json_key_where(where, "input_size");
  if (size.is_number()) {
    c.input_width = c.input_height = side(size, at);
  } else if (size.is_array() && (size.size() == 2 || size.size() == 3)) {
    if (size.size() == 3 && size[0] != 3) fail(at, "must have 3 channels, as [3, H, W]");
    const size_t h = size.size() - 2;
    c.input_height = side(size[h], at);
    c.input_width = side(size[h + 1], at);
  } else {
    fail(at, "must be [3, H, W], [H, W] or a number");
  }
  c.resample = filter_from_name(optional_field<std::string>(j, "interpolation", filter_name(c.resample), where),
                                json_key_where(where, "interpolation"));
  c.crop_pct = optional_field<double>(j, "crop_pct", c.crop_pct, where);
  if (!(c.crop_pct >= 0.01 && c.crop_pct <= 10.0)) {
    std::ostringstream got;
    got << c.crop_pct;
    fail(json_key_where(where, "crop_pct"), "must be in [0.01, 10], got " + got.str());
  }
  if (j.contains("crop_mode") && !j["crop_mode"].is_null()) {
    const json& m = j["crop_mode"];
    const std::string mode = m.is_string() ? m.get<std::string>() : std::string();
    if (mode == "center") c.crop_mode = TimmCropMode::Center;
    else if (mode == "squash") c.crop_mode = TimmCropMode::Squash;
    else if (mode == "border") c.crop_mode = TimmCropMode::Border;
    else fail(json_key_where(where, "crop_mode"), "must be \"center\", \"squash\" or \"border\"");
  }
  if (j.contains("crop_border_pixels") && !j["crop_border_pixels"].is_null() &&
      !(j["crop_border_pixels"].is_number_integer() && j["crop_border_pixels"].get<int64_t>() == 0))
    fail(json_key_where(where, "crop_border_pixels"), "trimming a border first is not supported");
  get_channels(j, "mean", c.mean, false, where);
  get_channels(j, "std", c.std, true, where);
  return c;
}

json channels_json(const std::array<double, 3>& v) { return json::array({v[0], v[1], v[2]}); }

const HfProcessor& hf_processor(PreprocessPipeline pipeline) {
  for (const HfProcessor& processor : kHfProcessors)
    if (processor.defaults().pipeline == pipeline) return processor;
  fail("preprocessor config", "not a Hugging Face pipeline");
}

}  // namespace

PreprocessConfig hf_vit_defaults() {
  PreprocessConfig c;
  c.pipeline = PreprocessPipeline::HfVit;
  c.resample = ResampleFilter::Bilinear;
  c.resize_width = c.resize_height = 224;
  c.mean = {0.5, 0.5, 0.5};
  c.std = {0.5, 0.5, 0.5};
  return c;
}

PreprocessConfig hf_deit_defaults() {
  PreprocessConfig c;
  c.pipeline = PreprocessPipeline::HfDeit;
  c.resample = ResampleFilter::Bicubic;
  c.resize_width = c.resize_height = 256;
  c.do_center_crop = true;
  c.crop_width = c.crop_height = 224;
  c.mean = kImagenetMean;
  c.std = kImagenetStd;
  return c;
}

PreprocessConfig hf_bit_defaults() {
  PreprocessConfig c = hf_clip_defaults();  // BitImageProcessor's defaults are CLIP's
  c.pipeline = PreprocessPipeline::HfBit;
  return c;
}

PreprocessConfig hf_clip_defaults() {
  PreprocessConfig c = hf_deit_defaults();  // bicubic, then a 224 x 224 center crop
  c.pipeline = PreprocessPipeline::HfClip;
  c.resize_shortest_edge = 224;
  c.mean = kOpenaiClipMean;
  c.std = kOpenaiClipStd;
  return c;
}

PreprocessConfig hf_siglip_defaults() {
  PreprocessConfig c = hf_vit_defaults();  // 224 x 224, mean and std 0.5, but bicubic
  c.pipeline = PreprocessPipeline::HfSiglip;
  c.resample = ResampleFilter::Bicubic;
  return c;
}

PreprocessConfig timm_eval_defaults(int size) {
  PreprocessConfig c;
  c.pipeline = PreprocessPipeline::TimmEval;
  c.resample = ResampleFilter::Bilinear;
  c.input_width = c.input_height = size;
  c.crop_pct = 0.875;
  c.crop_mode = TimmCropMode::Center;
  c.mean = kImagenetMean;
  c.std = kImagenetStd;
  return c;
}

float normalized_level(uint8_t level, int channel, const PreprocessConfig& c) {
  float x;
  if (c.pipeline == PreprocessPipeline::TimmEval) x = static_cast<float>(level) / 255.0f;
  else if (c.do_rescale) x = static_cast<float>(static_cast<double>(level) * c.rescale_factor);
  else x = static_cast<float>(level);
  if (c.do_normalize) x = (x - static_cast<float>(c.mean[channel])) / static_cast<float>(c.std[channel]);
  return x;
}

namespace {

// A mean, std or rescale factor that is finite as a double can still make a float32 pixel
// value infinite or NaN (std 1e-300 is 0 in float32): every output would be NaN.
PreprocessConfig with_finite_levels(PreprocessConfig c, const std::string& where) {
  for (int channel = 0; channel < 3; ++channel)
    for (int level : {0, 255}) {  // the extremes: every value is monotonic in the level
      if (std::isfinite(normalized_level(static_cast<uint8_t>(level), channel, c))) continue;
      fail(where, "normalisation (rescale_factor, mean, std) turns pixel level " + std::to_string(level) +
                      " of channel " + std::to_string(channel) + " into a non-finite float32 value");
    }
  return c;
}

PreprocessConfig parse_any(const json& j, const std::string& where) {
  if (!j.is_object()) fail(where, "must be a JSON object");
  std::string type;
  for (const char* key : {"image_processor_type", "feature_extractor_type"}) {
    if (!j.contains(key) || j[key].is_null()) continue;
    type = json_as<std::string>(j[key], json_key_where(where, key));
    break;
  }
  for (const HfProcessor& processor : kHfProcessors)
    for (const char* name : processor.names)
      if (name && type == name) return parse_hf(j, processor, where);
  if (type == "TimmEvalTransform") return parse_timm(j, where);
  const std::string supported =
      "ViTImageProcessor, DeiTImageProcessor, BitImageProcessor, CLIPImageProcessor, SiglipImageProcessor or "
      "TimmEvalTransform";
  if (type.empty()) fail(where, "names no \"image_processor_type\" (" + supported + ")");
  fail(where, "unsupported image_processor_type \"" + type + "\" (supported: " + supported + ")");
}

}  // namespace

PreprocessConfig preprocess_config_from_json(const json& j, const std::string& where) {
  return with_finite_levels(parse_any(j, where), where);
}

PreprocessConfig load_preprocess_config(const std::string& model_dir) {
  const std::string path = model_dir + "/" + kPreprocessorFile;
  return preprocess_config_from_json(read_json_file(path), path);
}

json preprocess_config_to_json(const PreprocessConfig& c) {
  json j;
  if (c.pipeline == PreprocessPipeline::TimmEval) {
    j["image_processor_type"] = "TimmEvalTransform";
    j["input_size"] = json::array({3, c.input_height, c.input_width});
    j["interpolation"] = filter_name(c.resample);
    j["crop_pct"] = c.crop_pct;
    j["crop_mode"] = c.crop_mode == TimmCropMode::Squash   ? "squash"
                     : c.crop_mode == TimmCropMode::Border ? "border"
                                                           : "center";
    j["mean"] = channels_json(c.mean);
    j["std"] = channels_json(c.std);
    return j;
  }
  const HfProcessor& processor = hf_processor(c.pipeline);
  j["image_processor_type"] = processor.names[0];
  j["do_resize"] = c.do_resize;
  if (c.resize_shortest_edge > 0)
    j["size"] = {{"shortest_edge", c.resize_shortest_edge}};
  else
    j["size"] = {{"height", c.resize_height}, {"width", c.resize_width}};
  j["resample"] = pil_code(c.resample);
  if (processor.crops) {
    j["do_center_crop"] = c.do_center_crop;
    j["crop_size"] = {{"height", c.crop_height}, {"width", c.crop_width}};
  }
  j["do_rescale"] = c.do_rescale;
  j["rescale_factor"] = c.rescale_factor;
  j["do_normalize"] = c.do_normalize;
  j["image_mean"] = channels_json(c.mean);
  j["image_std"] = channels_json(c.std);
  return j;
}

ResampleFilter filter_from_pil_code(int code, const std::string& where) {
  switch (code) {
    case 0: return ResampleFilter::Nearest;
    case 1: return ResampleFilter::Lanczos;
    case 2: return ResampleFilter::Bilinear;
    case 3: return ResampleFilter::Bicubic;
    case 4: fail(where, "PIL resample 4 (BOX) is not supported");
    case 5: fail(where, "PIL resample 5 (HAMMING) is not supported");
  }
  fail(where, "unknown PIL resample code " + std::to_string(code) +
                  " (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic)");
}

int pil_code(ResampleFilter filter) {
  switch (filter) {
    case ResampleFilter::Nearest: return 0;
    case ResampleFilter::Lanczos: return 1;
    case ResampleFilter::Bilinear: return 2;
    case ResampleFilter::Bicubic: return 3;
  }
  return 2;
}

ResampleFilter filter_from_name(const std::string& name, const std::string& where) {
  if (name == "nearest") return ResampleFilter::Nearest;
  if (name == "bilinear") return ResampleFilter::Bilinear;
  if (name == "bicubic") return ResampleFilter::Bicubic;
  if (name == "lanczos") return ResampleFilter::Lanczos;
  fail(where, "unsupported interpolation \"" + name + "\" (nearest, bilinear, bicubic, lanczos)");
}

const char* filter_name(ResampleFilter filter) {
  switch (filter) {
    case ResampleFilter::Nearest: return "nearest";
    case ResampleFilter::Bilinear: return "bilinear";
    case ResampleFilter::Bicubic: return "bicubic";
    case ResampleFilter::Lanczos: return "lanczos";
  }
  return "bilinear";
}

}  // namespace vit

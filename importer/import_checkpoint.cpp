#include "importer/import_checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>

#include "engine/model/model_folder.h"
#include "engine/model/vit_model.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "formats/npy.h"
#include "formats/text.h"
#include "importer/checkpoint_source.h"
#include "importer/hf_compatibility.h"
#include "importer/int8_export.h"
#include "importer/label_names.h"
#include "importer/model_folder_writer.h"
#include "importer/processor_config.h"
#include "importer/timm_names.h"
#include "importer/transformers_source.h"

namespace vit {

namespace {

struct Pixels {
  std::vector<float> values;
  int batch = 0, height = 0, width = 0;
};

Pixels read_pixels(const std::string& path, int channels) {
  NpyArray array = read_npy(path);
  if (array.shape.size() != 4 || array.shape[1] != channels)
    fail(path, "expected pixels of shape [N, " + std::to_string(channels) + ", H, W], found " +
                   array.tensor().shape_string());
  if (array.dtype != DType::F32 && array.dtype != DType::F64 && array.dtype != DType::F16)
    fail(path, "pixels must be floating point");
  Pixels p;
  p.values = array.tensor().to_float();
  p.batch = static_cast<int>(array.shape[0]);
  p.height = static_cast<int>(array.shape[2]);
  p.width = static_cast<int>(array.shape[3]);
  return p;
}

// A fixed pseudo-random N(0,1) image (splitmix64 + Box-Muller), the same on every machine.
Pixels deterministic_pixels(const VitConfig& c) {
  Pixels p{std::vector<float>(static_cast<size_t>(c.num_channels) * c.image_height * c.image_width), 1,
           c.image_height, c.image_width};
  uint64_t state = 0x5eed;
  auto uniform = [&] {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (static_cast<double>(z >> 11) + 0.5) / 9007199254740992.0;
  };
  for (float& v : p.values) v = static_cast<float>(std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform()));
  return p;
}

struct NamedOutput {
  const char* name;
  OutputKind kind;
  std::vector<float> ForwardResult::*values;
};
constexpr NamedOutput kOutputs[] = {{"logits", kLogits, &ForwardResult::logits},
                                    {"pre_logits", kPreLogits, &ForwardResult::pre_logits},
                                    {"features", kFeatures, &ForwardResult::features},
                                    {"pooler_output", kPoolerOutput, &ForwardResult::pooler_output},
                                    {"image_embeds", kImageEmbeds, &ForwardResult::image_embeds}};

const NamedOutput& named_output(const std::string& kind, const std::string& where) {
  for (const NamedOutput& o : kOutputs)
    if (kind == o.name) return o;
  fail(where, "unknown reference kind \"" + kind + "\" (logits, pre_logits, features, pooler_output or image_embeds)");
}

const std::vector<float>& output_of(const ForwardResult& r, const std::string& kind) {
  return r.*named_output(kind, "output").values;
}

// Every output the model has.
ForwardResult run_all(const VitModel& model, const Pixels& p) {
  unsigned wanted = 0;
  for (const NamedOutput& o : kOutputs)
    if (has_output(model.config(), o.kind)) wanted |= o.kind;
  return model.forward(p.values.data(), p.batch, p.height, p.width, wanted);
}

std::vector<VerificationResult> verify(const VitModel& model, const ForwardResult& outputs,
                                       const ImportOptions& options) {
  std::vector<VerificationResult> results;
  for (const ReferenceOutput& ref : options.references) {
    if (!has_output(model.config(), named_output(ref.kind, ref.path).kind))
      fail(ref.path, "reference " + ref.kind + " given, but the model has no such output");
    NpyArray array = read_npy(ref.path);
    std::vector<float> expected = array.tensor().to_float();
    const std::vector<float>& got = output_of(outputs, ref.kind);
    if (expected.size() != got.size())
      fail(ref.path, "reference " + ref.kind + " have " + std::to_string(expected.size()) +
                         " values but the engine produced " + std::to_string(got.size()));
    results.push_back({ref.kind, ref.path, compare_outputs(got.data(), expected.data(), got.size(), options.atol)});
  }
  return results;
}

void require_identical(const ForwardResult& a, const ForwardResult& b, const std::string& dir) {
  for (const NamedOutput& o : kOutputs) {
    const char* kind = o.name;
    const auto& x = a.*o.values;
    const auto& y = b.*o.values;
    // memcmp, not ==: NaN outputs must reproduce too (an empty vector may have no data pointer).
    if (x.size() != y.size() || (!x.empty() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) != 0))
      fail(dir, std::string("the written folder does not reproduce the verified ") + kind + " bit for bit");
  }
}

// A NaN or Inf weight turns every output it touches into NaN; without reference outputs
// nothing else would notice before the folder is written.
void refuse_non_finite(const FloatTensors& tensors, const std::string& where) {
  for (const auto& [name, tensor] : tensors) {
    const std::vector<float>& v = tensor.values;
    const auto first = std::find_if(v.begin(), v.end(), [](float x) { return !std::isfinite(x); });
    if (first == v.end()) continue;
    const auto count = std::count_if(first, v.end(), [](float x) { return !std::isfinite(x); });
    fail(where, "tensor " + name + " holds " + std::to_string(count) + " NaN/Inf value" + (count > 1 ? "s" : "") +
                    " (the first, " + (std::isnan(*first) ? "NaN" : "Inf") + ", at element " +
                    std::to_string(first - v.begin()) + "); pass --allow-nonfinite to import it anyway");
  }
}

}  // namespace

std::string reference_kind_from_name(const std::string& path) {
  const std::string stem = std::filesystem::path(path).stem().string();
  for (const char* kind : {"pre_logits", "logits", "features", "pooler_output", "image_embeds"})
    if (starts_with(stem, kind)) return kind;
  return "";
}

namespace {

void check_output_against_inputs(const ImportOptions& options) {
  if (options.output_dir.empty()) return;
  std::vector<std::string> inputs = {options.checkpoint, options.timm_config_path, options.reference_input};
  for (const ReferenceOutput& ref : options.references) inputs.push_back(ref.path);
  check_output_folder(options.output_dir, inputs, options.overwrite_any_folder);
}

// Every source of architectural facts about the checkpoint, a given --timm-config included.
ArchitectureInputs architecture_inputs(const CheckpointSource& source, const ImportOptions& options) {
  ArchitectureInputs inputs;
  inputs.timm_config = source.timm_config;
  inputs.timm_config_path = source.config_path;
  if (!options.timm_config_path.empty()) {
    nlohmann::json given = read_json_file(options.timm_config_path);
    if (source.timm_config && *source.timm_config != given)
      fail(options.timm_config_path, "conflicts with " + source.config_path + " in the checkpoint folder");
    inputs.timm_config = given;
    inputs.timm_config_path = options.timm_config_path;
  }
  inputs.vit_name = options.vit_name;
  inputs.checkpoint_arch = source.arch;
  inputs.checkpoint_model_kwargs = source.arch_kwargs;
  inputs.overrides = options.overrides;
  return inputs;
}

ResolvedArchitecture resolve(const CheckpointSource& source, const ImportOptions& options, std::ostream& log) {
  const ArchitectureInputs inputs = architecture_inputs(source, options);
  const StateDictFacts facts = read_state_dict_facts(source.tensors, source.weights_path);
  ResolvedArchitecture arch = resolve_architecture(facts, inputs, source.weights_path);
  for (const std::string& note : arch.notes) log << "note: " << note << "\n";
  if (options.hf_only) {
    const std::vector<std::string> reasons = hf_incompatibilities(arch.name, arch.config);
    if (!reasons.empty()) fail(options.checkpoint, reasons.front());
  }
  LabelChoice labels = choose_labels(arch.config.num_classes, inputs.timm_config);
  arch.config.id2label = labels.id2label;
  if (!labels.source.empty()) log << "labels: " << labels.source << "\n";
  return arch;
}

void log_model(const std::string& name, const VitConfig& c, std::ostream& log) {
  log << "model: " << (name.empty() ? std::string("(unnamed)") : name) << ", " << c.hidden_size
      << " wide, " << c.num_layers << " layers, " << c.num_heads << " heads, " << c.image_height << "x"
      << c.image_width << " patch " << c.patch_size << ", " << c.num_classes << " classes, "
      << (hf_incompatibilities("", c).empty() ? "transformers ViT layout"
                                              : "vitcpp layout (transformers' ViT cannot express it)")
      << "\n";
}

VitModel model_from(const VitConfig& c, const std::map<std::string, StoredTensor>& views, Precision precision,
                    const std::string& where) {
  std::vector<std::string> names;
  for (const auto& entry : views) names.push_back(entry.first);
  auto find = [&](const std::string& n) { auto it = views.find(n); return it == views.end() ? nullptr : &it->second; };
  return VitModel(c, load_weights(c, find, names, where), precision);
}

bool log_verification(const std::vector<VerificationResult>& results, std::ostream& log) {
  bool passed = true;
  for (const VerificationResult& v : results) {
    log << "verify " << v.kind << " vs " << v.path << ": " << describe(v.comparison)
        << (v.comparison.passed ? "  OK" : "  FAILED") << "\n";
    passed = passed && v.comparison.passed;
  }
  if (results.empty()) log << "verify: no reference outputs given; checking the written folder only\n";
  return passed;
}

// The int8 folder's outputs on the verification pixels, or nothing when they fall below
// kInt8MinCosine of the float32 engine's (the folder is then not written).
std::optional<ForwardResult> int8_outputs(VitConfig* config, FloatTensors* tensors, Int8Matrices* int8,
                                          const ForwardResult& f32, const Pixels& pixels, const std::string& where,
                                          std::ostream& log) {
  config->int8_weights = true;
  *int8 = quantize_storable_matrices(*config, tensors);
  ForwardResult q = run_all(model_from(*config, tensor_views(*tensors, *int8), Precision::Int8, where), pixels);
  const bool logits = config->num_classes > 0;
  const double cosine = min_row_cosine(logits ? f32.logits : f32.pre_logits, logits ? q.logits : q.pre_logits, f32.batch);
  const bool close = cosine >= kInt8MinCosine;
  log << "int8: " << (logits ? "logits" : "pre_logits") << " cosine vs float32 " << cosine << " (lowest over "
      << f32.batch << (f32.batch == 1 ? " image" : " images") << "; at least " << kInt8MinCosine << " required)"
      << (close ? "  OK" : "  FAILED") << "\n";
  log << "int8: proj/fc1/fc2 stored as int8, so the folder is in the vitcpp layout (transformers cannot load it)\n";
  if (!close) return std::nullopt;
  return q;
}

// What either kind of input gives the rest of the import.
struct ImportInput {
  std::string name;  // the timm architecture, or the transformers model type and class
  ResolvedArchitecture arch;
  FloatTensors tensors;  // under the engine's names
  std::string weights_path;
  std::optional<nlohmann::json> preprocessor;
};

ImportInput timm_input(const ImportOptions& options, std::ostream& log) {
  SourceOptions source_options;
  source_options.use_ema = options.use_ema;
  CheckpointSource source = open_checkpoint(options.checkpoint, source_options);
  log << "weights: " << source.selection << " (" << source.tensors.size() << " tensors)\n";
  for (const std::string& note : source.notes) log << "note: " << note << "\n";
  ImportInput input;
  input.arch = resolve(source, options, log);
  input.name = input.arch.name;
  input.tensors = rename_timm_tensors(source.tensors, input.arch.config, source.weights_path);
  input.weights_path = source.weights_path;
  input.preprocessor = processor_config(input.arch, options.processor);
  return input;
}

ImportInput transformers_input(const ImportOptions& options, std::ostream& log) {
  if (!options.vit_name.empty() || !options.timm_config_path.empty())
    fail(options.checkpoint, "is a transformers folder: its config.json says what it is (drop --vit_name and --timm-config)");
  TransformersSource source = open_transformers_folder(options.checkpoint);
  log << "weights: " << source.weights_path << " (" << source.kind << ", " << source.tensors.size() << " tensors)\n";
  if (options.hf_only) {
    const std::vector<std::string> reasons = hf_incompatibilities(source.kind, source.config);
    if (!reasons.empty()) fail(options.checkpoint, reasons.front());
  }
  ImportInput input;
  input.name = source.kind;
  input.arch.config = std::move(source.config);
  input.tensors = std::move(source.tensors);
  input.weights_path = source.weights_path;
  input.preprocessor = std::move(source.preprocessor);
  return input;
}

}  // namespace

ImportReport import_checkpoint(const ImportOptions& options, std::ostream& log) {
  check_output_against_inputs(options);
  ImportInput input =
      is_transformers_folder(options.checkpoint) ? transformers_input(options, log) : timm_input(options, log);
  ImportReport report;
  report.architecture = input.arch;
  const ResolvedArchitecture& arch = report.architecture;
  log_model(input.name, arch.config, log);

  FloatTensors& tensors = input.tensors;
  VitModel model = model_from(arch.config, tensor_views(tensors, {}), Precision::F32, input.weights_path);
  const Pixels pixels = options.reference_input.empty() ? deterministic_pixels(arch.config)
                                                        : read_pixels(options.reference_input, arch.config.num_channels);
  const ForwardResult outputs = run_all(model, pixels);
  report.verification = verify(model, outputs, options);
  report.verified = log_verification(report.verification, log);
  if (report.verified && !options.allow_nonfinite) refuse_non_finite(tensors, input.weights_path);
  if (!report.verified || options.output_dir.empty()) return report;

  VitConfig written_config = arch.config;
  Int8Matrices int8;
  ForwardResult written_outputs = outputs;
  if (options.int8) {
    std::optional<ForwardResult> q = int8_outputs(&written_config, &tensors, &int8, outputs, pixels, input.weights_path, log);
    report.verified = q.has_value();
    if (!q) return report;
    written_outputs = std::move(*q);
  }

  if (!input.preprocessor) fail(options.checkpoint, "has no preprocessor_config.json to write with the model");
  FolderContents contents{written_config, &tensors, *input.preprocessor, {}, &int8};
  contents.metadata["vitcpp_source"] = std::filesystem::path(input.weights_path).filename().string();
  if (!arch.name.empty()) contents.metadata["timm_architecture"] = arch.name;
  write_model_folder(options.output_dir, contents, options.overwrite, [&](const std::string& temp_dir) {
    require_identical(written_outputs,
                      run_all(load_model(temp_dir, options.int8 ? Precision::Int8 : Precision::F32), pixels), temp_dir);
  });
  report.written = true;
  log << "wrote " << options.output_dir << " (reloaded outputs are bit-identical)\n";
  return report;
}

}  // namespace vit

// vitimport as a library call: open, resolve, check, rename, verify with the engine, write.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "importer/output_comparison.h"
#include "importer/architecture.h"
#include "importer/processor_config.h"

namespace vit {

struct ReferenceOutput {
  std::string kind;  // "logits", "pre_logits" or "features"
  std::string path;  // .npy exported from PyTorch
};

struct ImportOptions {
  std::string checkpoint;   // folder or file
  std::string output_dir;   // empty: verify only, write nothing
  std::string vit_name;
  std::string timm_config_path;
  bool use_ema = true;
  bool hf_only = false;     // refuse what transformers' ViT cannot load, like the seed
  bool overwrite = false;
  bool overwrite_any_folder = false;  // may replace a folder that is not a model folder
  bool allow_nonfinite = false;       // else NaN/Inf in a weight is refused (exit 2)
  ProcessorChoice processor = ProcessorChoice::Hf;
  ArchitectureOverrides overrides;
  std::string reference_input;
  std::vector<ReferenceOutput> references;
  double atol = -1.0;       // < 0: 1e-4 * max(1, max |reference|)
  bool int8 = false;        // store proj/fc1/fc2 as int8 (a vitcpp folder; see kInt8MinCosine)
};

// An int8 folder is written only when the int8 engine's logits (pre_logits for a headless
// model) stay within this cosine of float32 on every verification image.
constexpr double kInt8MinCosine = 0.999;

struct VerificationResult {
  std::string kind;
  std::string path;
  Comparison comparison;
};

struct ImportReport {
  ResolvedArchitecture architecture;
  std::vector<VerificationResult> verification;
  bool verified = true;  // every comparison within tolerance
  bool written = false;
};

// Throws Error for bad input (exit 2). Returns with verified = false, writing nothing, when
// the engine's outputs differ from the references beyond tolerance (exit 1).
ImportReport import_checkpoint(const ImportOptions& options, std::ostream& log);

// "logits_ema.npy" -> "logits"; "" when the file name does not say.
std::string reference_kind_from_name(const std::string& path);

}  // namespace vit

// Every importable fixture: vitimport verifies against timm's references, and the written
// folder reproduces them when loaded again.
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "formats/npy.h"
#include "importer/import_checkpoint.h"
#include "importer/output_comparison.h"
#include "imported_model.h"
#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

struct Case {
  const char* fixture;
  const char* checkpoint;  // relative to the fixture folder; "" = the folder itself
  const char* suffix;      // reference file suffix: "" or "_ema" or "_alt"
  bool use_ema;
  const char* input;
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.fixture << c.suffix; }

std::vector<ReferenceOutput> references_of(const std::string& dir, const std::string& suffix) {
  std::vector<ReferenceOutput> refs;
  for (const char* kind : {"logits", "pre_logits", "features"}) {
    std::string path = dir + "/" + kind + suffix + ".npy";
    if (fs::exists(path)) refs.push_back({kind, path});
  }
  return refs;
}

class ImportFixture : public ::testing::TestWithParam<Case> {};

TEST_P(ImportFixture, VerifiesAndTheWrittenFolderReproducesTimm) {
  VIT_REQUIRE_SHARED();
  const Case& c = GetParam();
  const std::string dir = test::fixture(c.fixture);
  ImportOptions o;
  o.checkpoint = std::string(c.checkpoint).empty() ? dir : dir + "/" + c.checkpoint;
  o.output_dir = test::scratch_dir("out") + "/model";
  o.use_ema = c.use_ema;
  o.reference_input = dir + "/" + c.input;
  o.references = references_of(dir, c.suffix);
  ASSERT_FALSE(o.references.empty());
  std::ostringstream log;
  const ImportReport report = import_checkpoint(o, log);
  EXPECT_TRUE(report.verified) << log.str();
  ASSERT_TRUE(report.written) << log.str();
  ASSERT_EQ(report.verification.size(), o.references.size());

  // What vitrun does: load the written folder and run it on the reference input.
  const VitModel model = load_model(o.output_dir);
  const ForwardResult r = test::forward_on(model, o.reference_input,
                                           kPreLogits | kFeatures | (model.config().num_classes ? kLogits : 0u));
  for (const ReferenceOutput& ref : o.references) {
    const std::vector<float> expected = read_npy(ref.path).tensor().to_float();
    const std::vector<float>& got = ref.kind == "logits" ? r.logits : ref.kind == "pre_logits" ? r.pre_logits : r.features;
    ASSERT_EQ(got.size(), expected.size()) << ref.kind;
    const Comparison cmp = compare_outputs(got.data(), expected.data(), got.size());
    std::cout << "[ error    ] " << c.fixture << c.suffix << " " << ref.kind << ": " << describe(cmp) << "\n";
    EXPECT_TRUE(cmp.passed) << ref.kind << ": " << describe(cmp);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ImportFixture,
    ::testing::Values(Case{"vit_classifier", "", "", true, "input.npy"}, Case{"vit_features", "", "", true, "input.npy"},
                      Case{"deit_classifier", "", "", true, "input.npy"}, Case{"vit_fp16", "", "", true, "input.npy"},
                      Case{"vit_bf16", "", "", true, "input.npy"}, Case{"noncontiguous", "", "", true, "input.npy"},
                      Case{"legacy_format", "", "", true, "input.npy"},
                      Case{"train_checkpoint", "model_best.pth.tar", "_ema", true, "input.npy"},
                      Case{"train_checkpoint", "model_best.pth.tar", "", false, "input.npy"},
                      Case{"vit_tiny_real", "", "", true, "input.npy"},
                      // Variants transformers' ViT cannot express, run by the engine.
                      Case{"vit_avgpool_fcnorm", "", "", true, "input.npy"},
                      Case{"vit_gap_noclass", "", "", true, "input.npy"},
                      Case{"vit_layerscale", "", "", true, "input.npy"},
                      Case{"vit_clip_style", "", "", true, "input.npy"},
                      Case{"vit_siglip_map", "", "", true, "input.npy"}, Case{"vit_reg4", "", "", true, "input.npy"},
                      Case{"vit_noqkvbias_qknorm", "", "", true, "input.npy"},
                      Case{"deit_distilled", "", "", true, "input.npy"},
                      Case{"vit_rect_dynamic", "", "", true, "input.npy"},
                      Case{"vit_rect_dynamic", "", "_alt", true, "input_alt.npy"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return std::string(info.param.fixture) + (info.param.suffix[0] ? info.param.suffix : "") +
             (info.param.use_ema ? "" : "_no_ema");
    });

}  // namespace
}  // namespace vit

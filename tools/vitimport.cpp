// vitimport: timm checkpoint -> verified engine run -> Hugging Face ViT folder.
#include <new>
#include <iostream>

#include "command_line.h"
#include "engine/model/model_folder.h"
#include "engine/model/packed_cache.h"
#include "engine/ops/threading.h"
#include "importer/checkpoint_check.h"
#include "importer/import_checkpoint.h"

namespace {

constexpr const char* kUsage = R"(usage: vitimport --checkpoint PATH --out DIR [options]
       vitimport --check FILE

Converts a timm ViT checkpoint into a folder that transformers loads (config.json,
model.safetensors, preprocessor_config.json) and that vitrun runs, after checking the
engine's outputs against references exported from PyTorch. A transformers folder (ViT, DeiT,
DINOv2, CLIP, SigLIP) is verified the same way and written in the engine's layout (or as
int8 with --dtype int8); vitrun also runs such folders directly.

input
  --checkpoint PATH            timm hub folder (config.json + weights), .bin/.pth/.pth.tar
                               (torch.save) or .safetensors file; or a transformers folder
                               (config.json with a model_type; its preprocessor_config.json
                               is kept)
  --vit_name NAME              timm architecture name when there is no config.json
  --timm-config FILE           a timm config.json for a bare checkpoint
  --no-ema                     training checkpoints: take state_dict/model, not the EMA weights
  --num-heads N, --layer-norm-eps X, --image-size N, --global-pool P, --act-layer A
                               explicit architecture facts the weights cannot tell
output
  --out DIR, --pytorch_dump_folder_path DIR
                               folder to write (atomically); omit to verify only
  --overwrite                  replace an existing model folder (never one that is, holds or
                               lies inside an input)
  --overwrite-any-folder       replace an existing folder even if it is not a model folder
                               (no config.json + model.safetensors): all of it is deleted
  --hf-only                    refuse models transformers' ViT cannot load (the seed's checks)
  --dtype f32|int8             int8: store each block's proj/fc1/fc2 as int8 with per-row scales
                               (under half the size; a vitcpp folder that vitrun runs in int8);
                               written only if the int8 logits keep cosine >= 0.999 vs float32
  --processor hf|timm          preprocessor_config.json: the HF processor the seed picks
                               (default) or timm's own eval transform from pretrained_cfg
  --cache DIR, --no-cache      after writing, pack the weights for this CPU into vitrun's cache
                               (default $VITCPP_CACHE_DIR, else $XDG_CACHE_HOME/vitcpp, else
                               ~/.cache/vitcpp), so vitrun's first start maps them too
verification
  --reference-input FILE.npy   float32 [N,C,H,W] pixels
  --reference-output FILE.npy  PyTorch outputs (repeatable); kind from the name or --reference-kind
  --reference-kind KIND        logits, pre_logits, features, pooler_output or image_embeds
  --atol X                     absolute tolerance (default 1e-4 * max(1, max|reference|))
  --allow-nonfinite            import weights that hold NaN or Inf (refused by default, naming
                               the first such tensor)
  --threads N
  -h, --help                   this text
exit codes: 0 ok, 1 verification failed (nothing written), 2 bad input

--check FILE                   report what a checkpoint (file or hub folder) holds and anything
                               suspicious (globals off the allow-list, NaN/Inf, overlapping or
                               oversized tensors) without converting; exit 0 clean, 4 suspicious,
                               2 unreadable
)";

}  // namespace

int main(int argc, char** argv) {
  vit::exec_with_engine_environment(argv);
  std::string subject = "the import";  // named when memory runs out
  try {
    vit::CommandLine cl(argc, argv, kUsage,
                        {"--checkpoint", "--out", "--pytorch_dump_folder_path", "--vit_name", "--timm-config",
                         "--num-heads", "--layer-norm-eps", "--image-size", "--global-pool", "--act-layer",
                         "--reference-input", "--reference-output", "--reference-kind", "--atol", "--threads", "--check", "--processor", "--dtype",
                         "--cache"},
                        {"--no-ema", "--overwrite", "--overwrite-any-folder", "--allow-nonfinite", "--hf-only", "--no-cache"});
    if (cl.help()) {
      std::cout << kUsage;
      return 0;
    }
    if (cl.has("--check")) {
      const vit::CheckReport report = vit::check_checkpoint(cl.get("--check"));
      vit::print_check_report(report, std::cout);
      return report.clean() ? 0 : 4;
    }
    vit::ImportOptions o;
    o.checkpoint = cl.get("--checkpoint");
    if (o.checkpoint.empty() && cl.positional().size() == 1) o.checkpoint = cl.positional()[0];
    else if (!cl.positional().empty()) vit::fail("", "unexpected argument " + cl.positional()[0]);
    if (o.checkpoint.empty()) vit::fail("", "--checkpoint is required (see --help)");
    subject = o.checkpoint;
    o.output_dir = cl.get("--out", cl.get("--pytorch_dump_folder_path"));
    o.vit_name = cl.get("--vit_name");
    o.timm_config_path = cl.get("--timm-config");
    o.use_ema = !cl.has("--no-ema");
    o.hf_only = cl.has("--hf-only");
    o.allow_nonfinite = cl.has("--allow-nonfinite");
    const std::string dtype = cl.get("--dtype", "f32");
    if (dtype != "f32" && dtype != "int8")
      vit::fail("--dtype", "must be f32 or int8 (bf16 is a run-time choice: vitrun --dtype bf16)");
    o.int8 = dtype == "int8";
    if (o.int8 && o.hf_only) vit::fail("--dtype", "int8 folders are vitcpp folders, which --hf-only refuses");
    o.overwrite_any_folder = cl.has("--overwrite-any-folder");
    o.overwrite = cl.has("--overwrite") || o.overwrite_any_folder;
    const std::string processor = cl.get("--processor", "hf");
    if (processor != "hf" && processor != "timm") vit::fail("", "--processor must be hf or timm");
    o.processor = processor == "timm" ? vit::ProcessorChoice::Timm : vit::ProcessorChoice::Hf;
    if (cl.has("--num-heads")) o.overrides.num_heads = cl.get_int("--num-heads", 0);
    if (cl.has("--layer-norm-eps")) o.overrides.layer_norm_eps = cl.get_double("--layer-norm-eps", 0);
    if (cl.has("--image-size")) o.overrides.image_size = cl.get_int("--image-size", 0);
    if (cl.has("--global-pool")) o.overrides.global_pool = cl.get("--global-pool");
    if (cl.has("--act-layer")) o.overrides.act_layer = cl.get("--act-layer");
    o.reference_input = cl.get("--reference-input");
    for (const std::string& path : cl.all("--reference-output")) {
      std::string kind = cl.get("--reference-kind", vit::reference_kind_from_name(path));
      if (kind.empty()) vit::fail(path, "cannot tell the output kind from the name: pass --reference-kind");
      o.references.push_back({kind, path});
    }
    if (!o.references.empty() && o.reference_input.empty()) vit::fail("", "--reference-output needs --reference-input");
    o.atol = cl.get_double("--atol", -1.0);
    if (cl.has("--no-cache") && cl.has("--cache")) vit::fail("", "--cache and --no-cache contradict each other");
    const std::string cache = cl.has("--no-cache") ? "" : cl.get("--cache", vit::default_packed_cache_dir());
    vit::set_thread_count(cl.get_int("--threads", 0));
    const vit::ImportReport report = vit::import_checkpoint(o, std::cout);
    if (!report.verified) {
      std::cerr << "vitimport: verification failed; nothing was written\n";
      return 1;
    }
    // The folder is complete; the cache only saves vitrun's first start from packing.
    if (report.written && !cache.empty()) {
      try {
        vit::load_model(o.output_dir, std::nullopt, cache);
      } catch (const std::exception& e) {
        std::cerr << "vitimport: note: the packed-weights cache was not written: " << e.what() << "\n";
      }
    }
    return 0;
  } catch (const std::bad_alloc&) {
    std::cerr << "vitimport: " << subject << ": out of memory\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "vitimport: " << e.what() << "\n";
    return 2;
  }
}

// The importer from a file's bytes to the engine's tensors: open_checkpoint (torch loader,
// state-dict selection, training-checkpoint arch and model_kwargs) -> read_state_dict_facts
// -> resolve_architecture -> rename_timm_tensors. Stops short of running the engine.
#include "fuzz_support.h"
#include "importer/architecture.h"
#include "importer/checkpoint_source.h"
#include "importer/state_dict_facts.h"
#include "importer/timm_names.h"

namespace {

// A head count the weights allow, for checkpoints that name no architecture.
int guess_heads(int hidden_size) {
  for (int heads : {12, 6, 3, 4, 2})
    if (hidden_size > 0 && hidden_size % heads == 0) return heads;
  return 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static vit::fuzz::MemoryFile file;
  const std::string path = file.hold(data, size);
  return vit::fuzz::run_one([&] {
    vit::SourceOptions options;
    options.use_ema = size % 2 == 0;
    const vit::CheckpointSource source = vit::open_checkpoint(path, options);
    const vit::StateDictFacts facts = vit::read_state_dict_facts(source.tensors, path);
    vit::ArchitectureInputs inputs;
    inputs.checkpoint_arch = source.arch;
    inputs.checkpoint_model_kwargs = source.arch_kwargs;
    if (source.arch.empty() && !source.arch_kwargs) inputs.overrides.num_heads = guess_heads(facts.hidden_size);
    const vit::ResolvedArchitecture arch = vit::resolve_architecture(facts, inputs, path);
    const vit::FloatTensors tensors = vit::rename_timm_tensors(source.tensors, arch.config, path);
    if (tensors.empty()) __builtin_trap();
  });
}

// vitinspect FILE: lists the tensors (name, dtype, shape, bytes) of a torch.save checkpoint
// (zip or legacy), .safetensors, .npy or .npz file, and a checkpoint's other contents.
#include <cstdio>
#include <cstring>
#include <new>
#include <iostream>
#include <string>

#include "command_line.h"
#include "formats/error.h"
#include "formats/mapped_file.h"
#include "formats/npy.h"
#include "formats/npz.h"
#include "formats/pickle_outline.h"
#include "formats/pickle_value.h"
#include "formats/safetensors.h"
#include "formats/text.h"
#include "formats/torch_checkpoint.h"

namespace {

const char kUsage[] =
    "usage: vitinspect [--scan] FILE\n"
    "       vitinspect -h | --help\n"
    "  Lists the tensors in a torch.save checkpoint (zip or legacy), .safetensors, .npy or .npz\n"
    "  file, and the other contents of a checkpoint. Checkpoint pickles are read without running\n"
    "  any code; --scan lists the globals a checkpoint would be refused for instead of failing.\n";

struct Totals {
  size_t tensors = 0;
  uint64_t bytes = 0;
  void add(const vit::StoredTensor& t) {
    ++tensors;
    bytes += static_cast<uint64_t>(t.numel()) * vit::dtype_size(t.dtype);
  }
};

void count_tensors(const vit::PickleValue& v, Totals* totals, size_t depth) {
  if (v.is_tensor()) return totals->add(v.tensor());
  if (depth > 64) return;
  if (v.is_dict())
    for (const auto& [k, item] : v.entries()) count_tensors(item, totals, depth + 1);
  else if (v.kind() == vit::PickleKind::List || v.kind() == vit::PickleKind::Tuple)
    for (const auto& item : v.items()) count_tensors(item, totals, depth + 1);
}

void print_totals(const Totals& t) {
  std::cout << t.tensors << " tensors, " << t.bytes << " bytes\n";
}

void inspect_torch(const std::string& path, bool scan) {
  vit::TorchLoadOptions options;
  options.scan = scan;
  vit::TorchCheckpoint ck = vit::read_torch_checkpoint(path, options);
  std::cout << path << ": torch checkpoint ("
            << (ck.format == "zip" ? "zip, folder '" + ck.prefix + "'" : std::string("legacy stream")) << ")\n";
  for (const std::string& g : ck.refused_globals) std::cout << "refused global '" << g << "'\n";
  for (const std::string& line : vit::pickle_outline(ck.value)) std::cout << line << "\n";
  Totals totals;
  count_tensors(ck.value, &totals, 0);
  print_totals(totals);
}

void inspect_safetensors(const std::string& path) {
  vit::SafetensorsFile file = vit::SafetensorsFile::open(path);
  std::cout << path << ": safetensors\n";
  for (const auto& [key, value] : file.metadata()) std::cout << "__metadata__/" << key << ": '" << value << "'\n";
  Totals totals;
  for (const auto& [name, t] : file.tensors()) {
    std::cout << name << "  " << vit::tensor_summary(t) << "\n";
    totals.add(t);
  }
  print_totals(totals);
}

void inspect_npy(const std::string& path) {
  vit::StoredTensor t = vit::read_npy(path).tensor();
  std::cout << path << ": npy\n" << "(array)  " << vit::tensor_summary(t) << "\n";
  Totals totals;
  totals.add(t);
  print_totals(totals);
}

void inspect_npz(const std::string& path) {
  std::cout << path << ": npz\n";
  Totals totals;
  for (const auto& [name, array] : vit::read_npz(path)) {
    vit::StoredTensor t = array.tensor();
    std::cout << name << "  " << vit::tensor_summary(t) << "\n";
    totals.add(t);
  }
  print_totals(totals);
}

// Content decides where it can (npy magic, safetensors header); else the name, else torch.
void inspect(const std::string& path, bool scan) {
  vit::ByteView head = vit::map_file(path);
  if (head.size >= 6 && std::memcmp(head.data, "\x93NUMPY", 6) == 0) return inspect_npy(path);
  if (vit::ends_with(path, ".safetensors") || (head.size > 8 && head.data[8] == '{')) return inspect_safetensors(path);
  if (vit::ends_with(path, ".npz")) return inspect_npz(path);
  inspect_torch(path, scan);
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  try {
    const vit::CommandLine cl(argc, argv, kUsage, {}, {"--scan"});
    if (cl.help()) {
      std::cout << kUsage;
      return 0;
    }
    if (cl.positional().size() != 1) vit::fail("", "give exactly one FILE (see --help)");
    path = cl.positional()[0];
    inspect(path, cl.has("--scan"));
  } catch (const vit::Error& e) {
    std::cout.flush();
    std::cerr << "vitinspect: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    std::cout.flush();
    std::cerr << "vitinspect: " << path << ": out of memory\n";
    return 2;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "vitinspect: " << (path.empty() ? "" : path + ": ") << e.what() << "\n";
    return 2;
  }
  return 0;
}

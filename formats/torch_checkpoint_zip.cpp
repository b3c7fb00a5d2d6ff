#include "torch_checkpoint_zip.h"

#include <map>

#include "error.h"
#include "pickle_reader.h"
#include "pickle_text.h"
#include "text.h"
#include "torch_checkpoint_rebuild.h"
#include "zip_reader.h"

namespace vit {

namespace {

// The single top-level folder that holds data.pkl.
std::string find_prefix(const ZipArchive& zip, const std::string& where) {
  std::string prefix;
  for (const ZipEntry& e : zip.entries()) {
    const std::string suffix = "/data.pkl";
    if (e.name == suffix || !ends_with(e.name, suffix)) continue;
    std::string folder = e.name.substr(0, e.name.size() - suffix.size());
    if (folder.find('/') != std::string::npos) continue;
    if (!prefix.empty())
      fail(where, "archive holds more than one data.pkl ('" + pickle_text::printable(prefix) + "', '" +
                      pickle_text::printable(folder) + "')");
    prefix = folder;
  }
  if (prefix.empty()) fail(where, "not a torch.save archive (no <folder>/data.pkl)");
  return prefix;
}

ByteView byte_swapped(ByteView bytes, size_t item) {
  std::string out(reinterpret_cast<const char*>(bytes.data), bytes.size);
  for (size_t i = 0; i + item <= out.size(); i += item)
    for (size_t a = i, b = i + item - 1; a < b; ++a, --b) std::swap(out[a], out[b]);
  return own_bytes(std::move(out));
}

}  // namespace

TorchCheckpoint read_torch_zip(ByteView bytes, const std::string& where, const TorchLoadOptions& options) {
  ZipArchive zip = ZipArchive::open(bytes, where);
  TorchCheckpoint out;
  out.format = "zip";
  out.prefix = find_prefix(zip, where);
  const std::string& prefix = out.prefix;
  const std::string shown = pickle_text::printable(prefix);  // for messages

  bool big_endian = false;
  if (const ZipEntry* e = zip.find(prefix + "/byteorder")) {
    std::string order = zip.read(*e).str();
    while (!order.empty() && (order.back() == '\n' || order.back() == '\r')) order.pop_back();
    if (order == "big") big_endian = true;
    else if (order != "little") fail(where, "unknown byte order in " + shown + "/byteorder");
  }

  const std::string pkl_where = where + ": " + shown + "/data.pkl";
  Unpickler u(zip.read(*zip.find(prefix + "/data.pkl")), pkl_where, options.limits);
  u.set_scan_mode(options.scan);
  std::map<std::string, PickleValue> storages;
  u.set_persistent_load([&](PickleBuilder& b, const PickleValue& pid) -> PickleValue {
    StorageRef ref = parse_storage_id(pid, pkl_where);
    auto it = storages.find(ref.key);
    if (it != storages.end()) {
      if (it->second.tensor().dtype != ref.dtype)
        fail(pkl_where, "storage '" + ref.key + "' is used with two element types");
      return it->second;
    }
    const std::string name = prefix + "/data/" + ref.key;
    const ZipEntry* entry = zip.find(name);
    if (!entry) fail(where, "storage '" + ref.key + "' is missing (no " + shown + "/data/" + ref.key + ")");
    ByteView data = zip.read(*entry);
    const size_t item = dtype_size(ref.dtype);
    if (static_cast<uint64_t>(ref.numel) > data.size / item)
      fail(where, shown + "/data/" + ref.key + " holds " + std::to_string(data.size) + " bytes, less than " +
                      std::to_string(ref.numel) + " elements of " + std::to_string(item) + " bytes");
    data = data.slice(0, static_cast<size_t>(ref.numel) * item, where);
    if (big_endian && item > 1) data = byte_swapped(data, item);
    PickleValue storage = make_storage(b, ref.dtype, data);
    storages.emplace(ref.key, storage);
    return storage;
  });
  u.set_call_handler([&](PickleBuilder& b, const PickleValue& callable, const PickleValue& args) {
    return call_torch_global(b, callable, args, pkl_where);
  });
  out.value = u.load();
  out.refused_globals = u.refused_globals();
  return out;
}

}  // namespace vit

#include "legacy_torch.h"

#include <cstring>
#include <map>

#include "error.h"
#include "pickle_reader.h"
#include "pickle_text.h"
#include "torch_checkpoint_rebuild.h"

namespace vit {

namespace {

const char kMagic[] = "119547037146038801333356";  // 0x1950a86a20f9469cfc6c
const int64_t kProtocolVersion = 1001;

bool is_magic(const PickleValue& v) {
  return v.kind() == PickleKind::BigInt && v.big_int_text() == kMagic;
}

struct StorageData {
  DType dtype = DType::U8;
  int64_t numel = 0;
  bool has_data = false;
  ByteView bytes;
};

}  // namespace

bool looks_like_legacy_torch(ByteView bytes) {
  PickleLimits tiny;
  tiny.max_values = 16;
  tiny.max_depth = 4;
  try {
    return is_magic(read_pickle(bytes, "", tiny));
  } catch (const Error&) {
    return false;
  }
}

namespace {

// The header pickles: magic number, protocol version, sys-info (little-endian only).
void read_legacy_header(Unpickler& u, const std::string& where) {
  if (!is_magic(u.load())) fail(where, "not a legacy torch.save stream (wrong magic number)");
  const PickleValue version = u.load();
  if (!version.is_int() || version.as_int() != kProtocolVersion)
    fail(where, "unsupported legacy torch.save protocol version");
  const PickleValue sys_info = u.load();
  if (!sys_info.is_dict()) fail(where, "legacy sys-info is not a dict");
  if (auto little = sys_info.find("little_endian"))
    if (little->kind() == PickleKind::Bool && !little->as_bool())
      fail(where, "big-endian legacy checkpoints are not supported");
}

// Pass 1 over the object pickle only learns each storage's element type; the data section
// that the tensors need comes after it.
std::map<std::string, StorageData> storage_types(Unpickler& u, const std::string& pkl_where) {
  std::map<std::string, StorageData> storages;
  u.set_persistent_load([&](PickleBuilder& b, const PickleValue& pid) {
    StorageRef ref = parse_storage_id(pid, pkl_where);
    auto it = storages.find(ref.key);
    if (it != storages.end() && it->second.dtype != ref.dtype)
      fail(pkl_where, "storage '" + ref.key + "' is used with two element types");
    storages[ref.key] = StorageData{ref.dtype, ref.numel, false, {}};
    return b.none();
  });
  u.load();
  return storages;
}

// The data section: for each key in order, an element count and the storage's bytes.
void read_storage_data(ByteView bytes, size_t pos, const PickleValue& keys, std::map<std::string, StorageData>* storages,
                       const std::string& where) {
  for (const PickleValue& key_value : keys.items()) {
    const std::string raw_key = key_value.is_int() ? std::to_string(key_value.as_int())
                                                   : key_value.as_str(where + ": storage key");
    const std::string key = pickle_text::printable(raw_key);
    auto it = storages->find(raw_key);
    if (it == storages->end()) fail(where, "data for storage '" + key + "' that no tensor uses");
    StorageData& s = it->second;
    if (s.has_data) fail(where, "storage '" + key + "' has data twice");
    if (bytes.size - pos < 8) fail(where, "truncated: storage '" + key + "' has no element count");
    int64_t count = 0;
    std::memcpy(&count, bytes.data + pos, 8);  // little-endian, as the sys-info check ensures
    pos += 8;
    const size_t item = dtype_size(s.dtype);
    if (count < 0 || static_cast<uint64_t>(count) > (bytes.size - pos) / item)
      fail(where, "truncated: storage '" + key + "' declares " + std::to_string(count) +
                      " elements, more than the file holds");
    if (count != s.numel)
      fail(where, "storage '" + key + "' holds " + std::to_string(count) + " elements but its id says " +
                      std::to_string(s.numel));
    s.bytes = bytes.slice(pos, static_cast<size_t>(count) * item, where);
    s.has_data = true;
    pos += static_cast<size_t>(count) * item;
  }
}

// A storage id of pass 2: the root storage, or a (view_key, offset, size) slice of it in elements.
PickleValue storage_value(PickleBuilder& b, const StorageRef& ref, const StorageData& s, PickleValue root,
                          const std::string& pkl_where) {
  if (ref.view_metadata.is_none()) return root;
  const PickleValue& view = ref.view_metadata;
  if (view.kind() != PickleKind::Tuple || view.size() != 3) fail(pkl_where, "malformed storage view");
  const int64_t offset = view.item(1).as_int(pkl_where), size = view.item(2).as_int(pkl_where);
  const int64_t numel = static_cast<int64_t>(s.bytes.size / dtype_size(s.dtype));
  if (offset < 0 || size < 0 || offset > numel || size > numel - offset)
    fail(pkl_where, "storage view outside storage '" + ref.key + "'");
  const size_t item = dtype_size(s.dtype);
  return make_storage(b, s.dtype, s.bytes.slice(static_cast<size_t>(offset) * item, static_cast<size_t>(size) * item, pkl_where));
}

}  // namespace

TorchCheckpoint read_legacy_torch(ByteView bytes, const std::string& where, const TorchLoadOptions& options) {
  const std::string pkl_where = where + ": legacy stream";
  Unpickler u(bytes, pkl_where, options.limits);
  u.set_scan_mode(options.scan);
  read_legacy_header(u, where);
  const size_t object_start = u.position();
  std::map<std::string, StorageData> storages = storage_types(u, pkl_where);
  const PickleValue keys = u.load();
  if (keys.kind() != PickleKind::List) fail(where, "legacy storage key list is not a list");
  read_storage_data(bytes, u.position(), keys, &storages, where);

  // Pass 2: the object pickle again, now with every storage's bytes.
  Unpickler objects(bytes, pkl_where, options.limits);
  objects.set_scan_mode(options.scan);
  objects.seek(object_start);
  std::map<std::string, PickleValue> made;
  objects.set_persistent_load([&](PickleBuilder& b, const PickleValue& pid) -> PickleValue {
    StorageRef ref = parse_storage_id(pid, pkl_where);
    const StorageData& s = storages.at(ref.key);  // pass 1 saw every id
    if (!s.has_data) fail(where, "storage '" + ref.key + "' has no data");
    auto it = made.find(ref.key);
    if (it == made.end()) it = made.emplace(ref.key, make_storage(b, s.dtype, s.bytes)).first;
    return storage_value(b, ref, s, it->second, pkl_where);
  });
  objects.set_call_handler([&](PickleBuilder& b, const PickleValue& callable, const PickleValue& args) {
    return call_torch_global(b, callable, args, pkl_where);
  });
  TorchCheckpoint out;
  out.format = "legacy";
  out.value = objects.load();
  out.refused_globals = objects.refused_globals();
  return out;
}

}  // namespace vit

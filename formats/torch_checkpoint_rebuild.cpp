#include "torch_checkpoint_rebuild.h"

#include <vector>

#include "error.h"
#include "pickle_text.h"

namespace vit {

namespace {

struct StorageClass {
  const char* name;
  DType dtype;
};

const StorageClass kStorageClasses[] = {
    {"FloatStorage", DType::F32}, {"HalfStorage", DType::F16},  {"BFloat16Storage", DType::BF16},
    {"DoubleStorage", DType::F64}, {"LongStorage", DType::I64}, {"IntStorage", DType::I32},
    {"ShortStorage", DType::I16}, {"CharStorage", DType::I8},   {"ByteStorage", DType::U8},
    {"BoolStorage", DType::Bool},
};

std::vector<int64_t> int_list(const PickleValue& v, const std::string& where, const char* what) {
  if (!v.is_sequence()) fail(where, std::string(what) + " is a " + v.kind_name() + ", not a tuple");
  if (v.size() > 64) fail(where, std::string(what) + " has " + std::to_string(v.size()) + " dimensions");
  std::vector<int64_t> out;
  for (const PickleValue& item : v.items()) out.push_back(item.as_int(where + ": " + what));
  return out;
}

PickleValue rebuild_tensor(PickleBuilder& b, const std::vector<PickleValue>& a, const std::string& where) {
  if (a.size() < 4) fail(where, "_rebuild_tensor_v2 needs at least 4 arguments");
  if (a[0].kind() != PickleKind::Storage)
    fail(where, std::string("tensor storage is a ") + a[0].kind_name() + ", not a storage");
  const StoredTensor& storage = a[0].tensor();
  StoredTensor t;
  t.dtype = storage.dtype;
  t.storage = storage.storage;
  t.offset = a[1].as_int(where + ": storage offset");
  t.shape = int_list(a[2], where, "size");
  t.strides = int_list(a[3], where, "stride");
  t.validate(where);
  return b.tensor(std::move(t));
}

}  // namespace

bool storage_class_dtype(const std::string& q, DType* dtype) {
  if (q == "torch.storage.UntypedStorage") {
    *dtype = DType::U8;
    return true;
  }
  for (const StorageClass& c : kStorageClasses)
    if (q == std::string("torch.") + c.name || q == std::string("torch.cuda.") + c.name) {
      *dtype = c.dtype;
      return true;
    }
  return false;
}

StorageRef parse_storage_id(const PickleValue& pid, const std::string& where) {
  if (pid.kind() != PickleKind::Tuple || pid.size() < 5 || pid.size() > 6)
    fail(where, "persistent id is not a ('storage', type, key, location, numel) tuple");
  std::vector<PickleValue> f = pid.items();
  if (!f[0].is_str() || f[0].as_str() != "storage")
    fail(where, "persistent id of an unknown kind (not 'storage')");
  StorageRef ref;
  if (f[1].kind() != PickleKind::Global || f[1].refused() ||
      !storage_class_dtype(f[1].qualified_name(), &ref.dtype))
    fail(where, std::string("persistent id names an unsupported storage type (") +
                    (f[1].kind() == PickleKind::Global ? pickle_text::printable(f[1].qualified_name()) : f[1].kind_name()) + ")");
  if (f[2].is_int()) ref.key = std::to_string(f[2].as_int());
  else ref.key = f[2].as_str(where + ": storage key");
  // torch writes decimal keys; anything outside printable ASCII or naming a path is refused.
  bool clean = !ref.key.empty() && ref.key.size() <= 256 && ref.key != "." && ref.key != "..";
  for (char c : ref.key) clean = clean && c > ' ' && c < 0x7f && c != '/' && c != '\\' && c != '\'';
  if (!clean) fail(where, "malformed storage key '" + pickle_text::printable(ref.key) + "'");
  ref.location = f[3].is_str() ? f[3].as_str() : std::string();
  ref.numel = f[4].as_int(where + ": storage size");
  if (ref.numel < 0) fail(where, "negative storage size");
  if (f.size() == 6) ref.view_metadata = f[5];
  return ref;
}

PickleValue make_storage(PickleBuilder& b, DType dtype, ByteView bytes) {
  StoredTensor t;
  t.dtype = dtype;
  t.shape = {static_cast<int64_t>(bytes.size / dtype_size(dtype))};
  t.strides = {1};
  t.storage = std::move(bytes);
  return b.storage(std::move(t));
}

PickleValue call_torch_global(PickleBuilder& b, const PickleValue& callable, const PickleValue& args,
                              const std::string& where) {
  const std::string q = callable.qualified_name();
  const std::vector<PickleValue> a = args.items();
  const std::string at = where + ": " + callable.global_name();
  if (q == "torch._utils._rebuild_tensor_v2" || q == "torch._utils._rebuild_tensor")
    return rebuild_tensor(b, a, at);
  if (q == "torch._utils._rebuild_parameter" || q == "torch._utils._rebuild_parameter_with_state") {
    if (a.empty() || !a[0].is_tensor()) fail(at, "parameter data is not a tensor");
    return a[0];
  }
  if (q == "torch._tensor._rebuild_from_type_v2") {
    // (func, new_type, args, state): a tensor subclass; rebuild the plain tensor with func.
    if (a.size() < 3) fail(at, "needs (func, type, args, state)");
    if (a[0].kind() != PickleKind::Global || a[0].refused() ||
        a[0].qualified_name() == "torch._tensor._rebuild_from_type_v2")
      fail(at, "rebuild function is not an allowed tensor rebuild");
    if (a[2].kind() != PickleKind::Tuple) fail(at, "rebuild arguments are not a tuple");
    return call_torch_global(b, a[0], a[2], where);
  }
  if (q == "torch.Size") {
    if (a.size() != 1 || !a[0].is_sequence()) fail(at, "torch.Size needs one tuple");
    return b.tuple(a[0].items());
  }
  fail(where, "calling '" + pickle_text::printable(q) + "' is not supported");
}

}  // namespace vit

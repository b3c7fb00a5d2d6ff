#include "pickle_value.h"

#include "error.h"
#include "pickle_node.h"

namespace vit {

using pickle_detail::Node;

const char* pickle_kind_name(PickleKind kind) {
  switch (kind) {
    case PickleKind::None: return "None";
    case PickleKind::Bool: return "bool";
    case PickleKind::Int: return "int";
    case PickleKind::BigInt: return "big int";
    case PickleKind::Float: return "float";
    case PickleKind::Str: return "str";
    case PickleKind::Bytes: return "bytes";
    case PickleKind::Tuple: return "tuple";
    case PickleKind::List: return "list";
    case PickleKind::Dict: return "dict";
    case PickleKind::Set: return "set";
    case PickleKind::Global: return "global";
    case PickleKind::Object: return "object";
    case PickleKind::Storage: return "storage";
    case PickleKind::Tensor: return "tensor";
  }
  return "?";
}

namespace {
const Node& none_node() {
  static const Node node;
  return node;
}
}  // namespace

const Node& PickleValue::node() const { return node_ ? *node_ : none_node(); }

PickleKind PickleValue::kind() const { return node().kind; }

bool PickleValue::is_sequence() const {
  PickleKind k = kind();
  return k == PickleKind::Tuple || k == PickleKind::List || k == PickleKind::Set;
}

void PickleValue::expect(PickleKind want, const std::string& where) const {
  if (kind() != want)
    fail(where, std::string("expected ") + pickle_kind_name(want) + ", found " + kind_name());
}

bool PickleValue::as_bool(const std::string& where) const {
  expect(PickleKind::Bool, where);
  return node().flag;
}

int64_t PickleValue::as_int(const std::string& where) const {
  if (kind() == PickleKind::Bool) return node().flag ? 1 : 0;  // Python bools are ints
  expect(PickleKind::Int, where);
  return node().i;
}

double PickleValue::as_float(const std::string& where) const {
  if (kind() == PickleKind::Int) return static_cast<double>(node().i);
  expect(PickleKind::Float, where);
  return node().f;
}

const std::string& PickleValue::as_str(const std::string& where) const {
  expect(PickleKind::Str, where);
  return node().text;
}

const std::string& PickleValue::as_bytes(const std::string& where) const {
  expect(PickleKind::Bytes, where);
  return node().text;
}

const std::string& PickleValue::big_int_text(const std::string& where) const {
  expect(PickleKind::BigInt, where);
  return node().text;
}

size_t PickleValue::size() const {
  if (is_sequence()) return node().items.size();
  if (is_dict()) return node().items.size() / 2;
  return 0;
}

std::vector<PickleValue> PickleValue::items(const std::string& where) const {
  if (!is_sequence()) fail(where, std::string("expected a tuple, list or set, found ") + kind_name());
  std::vector<PickleValue> out;
  out.reserve(node().items.size());
  for (Node* n : node().items) out.push_back(PickleValue(arena_, n));
  return out;
}

PickleValue PickleValue::item(size_t index, const std::string& where) const {
  if (!is_sequence()) fail(where, std::string("expected a tuple, list or set, found ") + kind_name());
  if (index >= node().items.size())
    fail(where, "item " + std::to_string(index) + " of a " + kind_name() + " of " +
                    std::to_string(node().items.size()));
  return PickleValue(arena_, node().items[index]);
}

std::vector<std::pair<PickleValue, PickleValue>> PickleValue::entries(const std::string& where) const {
  expect(PickleKind::Dict, where);
  std::vector<std::pair<PickleValue, PickleValue>> out;
  const auto& items = node().items;
  out.reserve(items.size() / 2);
  for (size_t i = 0; i + 1 < items.size(); i += 2)
    out.emplace_back(PickleValue(arena_, items[i]), PickleValue(arena_, items[i + 1]));
  return out;
}

std::optional<PickleValue> PickleValue::find(const std::string& key) const {
  if (!is_dict()) return std::nullopt;
  const auto& items = node().items;
  for (size_t i = 0; i + 1 < items.size(); i += 2)
    if (items[i]->kind == PickleKind::Str && items[i]->text == key)
      return PickleValue(arena_, items[i + 1]);
  return std::nullopt;
}

PickleValue PickleValue::at(const std::string& key, const std::string& where) const {
  expect(PickleKind::Dict, where);
  auto v = find(key);
  if (!v) fail(where, "no key '" + key + "'");
  return *v;
}

namespace {
const Node& global_of(const Node& n, const std::string& where) {
  if (n.kind == PickleKind::Global) return n;
  if (n.kind == PickleKind::Object && !n.items.empty()) return *n.items[0];
  fail(where, std::string("expected a global or object, found ") + pickle_kind_name(n.kind));
}
}  // namespace

std::string PickleValue::global_module(const std::string& where) const {
  const Node& g = global_of(node(), where);
  return g.text.substr(0, static_cast<size_t>(g.i));
}

std::string PickleValue::global_name(const std::string& where) const {
  const Node& g = global_of(node(), where);
  return g.text.substr(static_cast<size_t>(g.i) + 1);
}

std::string PickleValue::qualified_name(const std::string& where) const {
  return global_of(node(), where).text;
}

bool PickleValue::refused() const {
  PickleKind k = kind();
  return (k == PickleKind::Global || k == PickleKind::Object) && node().flag;
}

PickleValue PickleValue::object_class(const std::string& where) const {
  expect(PickleKind::Object, where);
  return PickleValue(arena_, node().items[0]);
}

PickleValue PickleValue::object_args(const std::string& where) const {
  expect(PickleKind::Object, where);
  return PickleValue(arena_, node().items[1]);
}

PickleValue PickleValue::object_kwargs(const std::string& where) const {
  expect(PickleKind::Object, where);
  return PickleValue(arena_, node().items[2]);
}

PickleValue PickleValue::state() const {
  return node().state ? PickleValue(arena_, node().state) : PickleValue();
}

const StoredTensor& PickleValue::tensor(const std::string& where) const {
  if (kind() != PickleKind::Tensor && kind() != PickleKind::Storage)
    fail(where, std::string("expected tensor, found ") + kind_name());
  return *node().tensor;
}

// PickleBuilder

PickleValue PickleBuilder::none() { return wrap(arena_->make(PickleKind::None)); }

PickleValue PickleBuilder::integer(int64_t v) {
  Node* n = arena_->make(PickleKind::Int);
  n->i = v;
  return wrap(n);
}

PickleValue PickleBuilder::str(std::string s) {
  Node* n = arena_->make(PickleKind::Str);
  n->text = std::move(s);
  return wrap(n);
}

PickleValue PickleBuilder::tuple(const std::vector<PickleValue>& items) {
  Node* n = arena_->make(PickleKind::Tuple);
  arena_->charge(items.size());
  for (const PickleValue& v : items) n->items.push_back(adopt(v));
  return wrap(n);
}

PickleValue PickleBuilder::storage(StoredTensor t) {
  Node* n = arena_->make(PickleKind::Storage);
  arena_->charge(8 + 2 * t.shape.size());
  n->tensor = std::make_unique<StoredTensor>(std::move(t));
  return wrap(n);
}

PickleValue PickleBuilder::tensor(StoredTensor t) {
  Node* n = arena_->make(PickleKind::Tensor);
  arena_->charge(8 + 2 * t.shape.size());
  n->tensor = std::make_unique<StoredTensor>(std::move(t));
  return wrap(n);
}

Node* PickleBuilder::adopt(const PickleValue& v) const {
  if (!v.node_) return arena_->make(PickleKind::None);
  if (v.arena_ != arena_) fail(arena_->where, "internal error: value from another load");
  return v.node_;
}

}  // namespace vit

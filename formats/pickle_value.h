// The inert value tree the restricted unpickler builds: nothing in it was ever called.
//
// A PickleValue is a read-only handle into a tree owned by one arena. Sub-values the pickle
// shares through its memo are shared here too (one node, several parents). The unpickler
// guarantees that the graph reachable from a loaded value has no cycles and is at most
// PickleLimits::max_depth deep, so bounded recursion over it is safe; walkers that print or
// copy should still budget their work, since sharing lets a small file describe a tree with
// exponentially many paths.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stored_tensor.h"

namespace vit {

enum class PickleKind {
  None, Bool, Int, BigInt, Float, Str, Bytes, Tuple, List, Dict, Set,
  Global,   // a class or function reference (module, name); never resolved to code
  Object,   // an opaque instance: class global + recorded args / kwargs / state
  Storage,  // a torch storage (1-D tensor over all of its bytes)
  Tensor,   // a tensor rebuilt by the torch loader
};

const char* pickle_kind_name(PickleKind kind);

namespace pickle_detail {
struct Node;
struct Arena;
}  // namespace pickle_detail

class PickleValue {
 public:
  PickleValue() = default;  // None

  PickleKind kind() const;
  const char* kind_name() const { return pickle_kind_name(kind()); }
  bool is_none() const { return kind() == PickleKind::None; }
  bool is_dict() const { return kind() == PickleKind::Dict; }
  bool is_str() const { return kind() == PickleKind::Str; }
  bool is_int() const { return kind() == PickleKind::Int; }
  bool is_tensor() const { return kind() == PickleKind::Tensor; }
  bool is_sequence() const;  // Tuple, List or Set

  // Typed accessors throw Error("<where>: expected <kind>, found <kind>") on a mismatch.
  bool as_bool(const std::string& where = {}) const;
  int64_t as_int(const std::string& where = {}) const;
  double as_float(const std::string& where = {}) const;  // Float, or an Int converted
  const std::string& as_str(const std::string& where = {}) const;
  const std::string& as_bytes(const std::string& where = {}) const;
  const std::string& big_int_text(const std::string& where = {}) const;  // BigInt in decimal

  // Items of a Tuple, List or Set; entries of a Dict in insertion order.
  size_t size() const;
  std::vector<PickleValue> items(const std::string& where = {}) const;
  PickleValue item(size_t index, const std::string& where = {}) const;
  std::vector<std::pair<PickleValue, PickleValue>> entries(const std::string& where = {}) const;
  // The value under a str key of a Dict; nullopt when absent or when this is not a Dict.
  std::optional<PickleValue> find(const std::string& key) const;
  PickleValue at(const std::string& key, const std::string& where = {}) const;  // throws when absent

  // Global: module and name; qualified_name() is "module.name". For an Object, its class's.
  std::string global_module(const std::string& where = {}) const;
  std::string global_name(const std::string& where = {}) const;
  std::string qualified_name(const std::string& where = {}) const;
  // Scan mode only: this Global, or the Object made by calling it, was refused.
  bool refused() const;

  // Object: its class (a Global), the recorded positional args (a Tuple) and keyword args
  // (a Dict, or None). state() is the BUILD state of an Object, Dict, List or Tensor (None
  // when there was none).
  PickleValue object_class(const std::string& where = {}) const;
  PickleValue object_args(const std::string& where = {}) const;
  PickleValue object_kwargs(const std::string& where = {}) const;
  PickleValue state() const;

  // Tensor or Storage.
  const StoredTensor& tensor(const std::string& where = {}) const;

  // Identity of the underlying node (equal for values the pickle shares).
  const void* identity() const { return node_; }

 private:
  friend struct pickle_detail::Arena;
  friend class PickleBuilder;
  PickleValue(std::shared_ptr<pickle_detail::Arena> arena, pickle_detail::Node* node)
      : arena_(std::move(arena)), node_(node) {}
  const pickle_detail::Node& node() const;
  void expect(PickleKind kind, const std::string& where) const;

  std::shared_ptr<pickle_detail::Arena> arena_;
  pickle_detail::Node* node_ = nullptr;
};

// Creates values in the arena of the load in progress (used by persistent-id and call hooks).
class PickleBuilder {
 public:
  explicit PickleBuilder(std::shared_ptr<pickle_detail::Arena> arena) : arena_(std::move(arena)) {}
  PickleValue none();
  PickleValue integer(int64_t v);
  PickleValue str(std::string s);
  PickleValue tuple(const std::vector<PickleValue>& items);
  PickleValue storage(StoredTensor t);
  PickleValue tensor(StoredTensor t);
  // Wraps a node of this arena (values from another load are refused).
  pickle_detail::Node* adopt(const PickleValue& v) const;
  PickleValue wrap(pickle_detail::Node* node) const { return PickleValue(arena_, node); }

 private:
  std::shared_ptr<pickle_detail::Arena> arena_;
};

}  // namespace vit

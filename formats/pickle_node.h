// Internal node storage of PickleValue trees (only the unpickler and pickle_value.cpp use it).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "error.h"
#include "pickle_value.h"

namespace vit::pickle_detail {

struct Node {
  PickleKind kind = PickleKind::None;
  bool flag = false;          // Bool: the value; Global/Object: refused (scan mode)
  uint32_t epoch = 0;         // scratch for the depth/cycle check
  uint32_t height = 0;        // scratch for the depth/cycle check
  int64_t i = 0;              // Int: the value; Global: length of the module part
  double f = 0;               // Float
  std::string text;           // Str, Bytes, BigInt (decimal), Global ("module.name")
  std::vector<Node*> items;   // Tuple/List/Set: items; Dict: k0,v0,k1,v1...; Object: cls,args,kwargs
  Node* state = nullptr;      // BUILD state
  std::unique_ptr<StoredTensor> tensor;  // Storage, Tensor
};

// Owns every node of one load. Nodes point at each other with raw pointers, so destruction
// is flat (no recursion) and even a cyclic graph is freed.
struct Arena {
  Arena(size_t max_nodes, std::string where) : max_nodes(max_nodes), where(std::move(where)) {}
  Node* make(PickleKind kind) {
    charge(1);
    if (count % kChunk == 0) chunks.push_back(std::make_unique<Node[]>(kChunk));
    Node* n = &chunks.back()[count++ % kChunk];
    n->kind = kind;
    return n;
  }
  // Counts work that copies data already in the tree (a set built from a list, a tensor's
  // shape) against the same budget as new values, so reusing memoized values cannot
  // amplify a small file into a large allocation.
  void charge(size_t units) {
    if (units > max_nodes || spent > max_nodes - units)
      fail(where, "more than " + std::to_string(max_nodes) + " values (limit)");
    spent += units;
  }
  static PickleValue wrap(const std::shared_ptr<Arena>& arena, Node* node) {
    return PickleValue(arena, node);
  }

  static constexpr size_t kChunk = 1024;  // nodes are allocated in chunks of this many
  size_t max_nodes;
  std::string where;
  size_t count = 0;  // nodes made
  size_t spent = 0;  // nodes made plus copy work charged
  std::vector<std::unique_ptr<Node[]>> chunks;
};

}  // namespace vit::pickle_detail

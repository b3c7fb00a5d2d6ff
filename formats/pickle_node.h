// Internal node storage of PickleValue trees (only the unpickler and pickle_value.cpp use it).
#pragma once
#include <cstdint>
#include <deque>
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
    if (nodes.size() >= max_nodes)
      fail(where, "more than " + std::to_string(max_nodes) + " values (limit)");
    nodes.emplace_back();
    nodes.back().kind = kind;
    return &nodes.back();
  }
  static PickleValue wrap(const std::shared_ptr<Arena>& arena, Node* node) {
    return PickleValue(arena, node);
  }

  size_t max_nodes;
  std::string where;
  std::deque<Node> nodes;
};

}  // namespace vit::pickle_detail

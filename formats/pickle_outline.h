// Human-readable views of a PickleValue tree, with every walk bounded: short one-line
// reprs, and an outline of a checkpoint with one line per tensor and per plain value.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "pickle_value.h"

namespace vit {

// A Python-like one-line repr ('text', 1.5, [1, 2], {'a': 1}, <argparse.Namespace ...>,
// tensor(F32 [2, 3])), cut with "..." past max_chars.
std::string pickle_repr(const PickleValue& value, size_t max_chars = 120);

struct OutlineOptions {
  size_t max_lines = 100000;  // then one "... (more not shown)" line
  size_t max_depth = 64;      // deeper containers are shown as a repr
};

// Dicts (and lists holding dicts or tensors, and object states) are flattened into
// slash-separated paths: "state_dict/module.cls_token  F32  [1, 1, 64]  256 bytes",
// "epoch: 4", "args: <argparse.Namespace>", "args/model: 'vit_tiny_patch16_224'".
std::vector<std::string> pickle_outline(const PickleValue& root, const OutlineOptions& options = {});

// "F32  [1, 1, 64]  256 bytes" (plus ", strided" for non-contiguous views).
std::string tensor_summary(const StoredTensor& tensor);

}  // namespace vit

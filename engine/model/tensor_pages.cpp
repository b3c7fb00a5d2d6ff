#include "engine/model/tensor_pages.h"

#include <algorithm>

namespace vit {

namespace {

// One span per file (per owner of the storages) from its first tensor byte to its last.
std::vector<ByteView> file_spans(const std::map<std::string, StoredTensor>& tensors) {
  std::map<const void*, ByteView> spans;
  for (const auto& entry : tensors) {
    const ByteView& s = entry.second.storage;
    if (!s.file_pages || s.size == 0) continue;
    auto [it, first] = spans.emplace(s.owner.get(), s);
    if (first) continue;
    ByteView& span = it->second;
    const uint8_t* begin = std::min(span.data, s.data);
    const uint8_t* end = std::max(span.data + span.size, s.data + s.size);
    span.data = begin;
    span.size = static_cast<size_t>(end - begin);
  }
  std::vector<ByteView> files;
  for (const auto& entry : spans) files.push_back(entry.second);
  return files;
}

}  // namespace

TensorPages::TensorPages(const std::map<std::string, StoredTensor>& tensors, MapPages pages)
    : on_demand_(pages == MapPages::OnDemand), files_(on_demand_ ? file_spans(tensors) : std::vector<ByteView>{}) {}

void TensorPages::reading(const StoredTensor& t) {
  let_go();
  previous_ = t.storage;  // the tensor's bytes (and, in a torch file, any views' sharing them)
}

void TensorPages::looking_up(const StoredTensor&) {
  if (on_demand_) let_go();
}

void TensorPages::let_go() {
  if (on_demand_) {
    for (const ByteView& file : files_) release_mapped_pages(file);
  } else {
    release_mapped_pages(previous_);
  }
  previous_ = {};
}

}  // namespace vit

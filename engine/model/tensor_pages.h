// Which pages of the mapped weight files stay resident while a model loads: loading reads one
// tensor at a time, and each is let go before the next is read.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "formats/mapped_file.h"
#include "formats/stored_tensor.h"

namespace vit {

class TensorPages {
 public:
  // `tensors`: every tensor of the model, in files mapped as `pages` says.
  TensorPages(const std::map<std::string, StoredTensor>& tensors, MapPages pages);
  ~TensorPages() { let_go(); }
  TensorPages(const TensorPages&) = delete;
  TensorPages& operator=(const TensorPages&) = delete;

  // `t` is read next: the pages of the tensor read before it are dropped. Mapped on demand,
  // that is every page of the files mapped so far, since reading a tensor maps the whole
  // page-cache folio around it (2 MiB where Linux 6.x keeps large folios), beyond the tensor;
  // populated up front, the pages of the previous tensor's storage.
  void reading(const StoredTensor& t);
  // `t` may be read next, or only looked at (load_weights copies the small tensors and leaves
  // the matrices for later). Mapped on demand, every page mapped so far is dropped; populated,
  // nothing is, so that the matrices' pages stay mapped until they are read.
  void looking_up(const StoredTensor& t);

 private:
  void let_go();

  bool on_demand_;
  std::vector<ByteView> files_;  // the span of each file's tensors
  ByteView previous_;            // the storage of the tensor read last
};

}  // namespace vit

// Packed weights kept between runs. Loading packs every matrix into oneDNN's blocked layout in
// fresh memory, and on virtual machines faulting that memory in is most of the start-up time
// (130-600 ms for ViT-B measured on a 2-core cloud VM). A cache file keeps the packed bytes; later loads
// map it (the page cache: no copy, no fresh memory) when it matches.
//
// The file is safetensors: each packed matrix a U8 tensor (4 KiB-aligned data), int8 scales
// F32 tensors "<name>.scales", and metadata naming the source weights and each matrix's
// layout. A file that is missing, unreadable or made for other weights or another layout is a
// miss: the model packs as usual and save() writes the file again, atomically.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "engine/ops/matmul.h"
#include "formats/safetensors.h"

namespace vit {

class PackedCache {
 public:
  // `source` identifies what the matrices are packed from (weights file, config, precision);
  // the file at `path` is used only if it was written for the same source.
  PackedCache(std::string path, std::string source);

  // The file was written for this source (its matrices may still miss: other layouts).
  bool matches_source() const { return file_.has_value(); }
  // The saved image of a matrix, if the file has it.
  std::optional<PackedImage> find(const std::string& name) const;
  // Records the image a matrix was loaded with (found or freshly packed), in any order.
  void keep(const std::string& name, PackedImage image);
  // Writes the file when any kept image was not the saved one. Returns false when nothing was
  // written (nothing new, or the folder cannot be written: the cache is an optimization only).
  bool save() const;
  bool all_found() const;  // every kept image came from the file

 private:
  bool up_to_date() const;  // the file holds exactly the kept images

  std::string path_, source_;
  std::optional<SafetensorsFile> file_;
  std::map<std::string, PackedImage> kept_;
  size_t found_ = 0;
};

// $VITCPP_CACHE_DIR, else $XDG_CACHE_HOME/vitcpp, else $HOME/.cache/vitcpp; empty if none is set.
std::string default_packed_cache_dir();

}  // namespace vit

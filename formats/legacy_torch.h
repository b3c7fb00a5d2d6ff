// The legacy (pre-1.6, non-zip) torch.save stream: magic-number pickle, protocol version
// 1001, sys-info dict, the object pickle, a pickled list of storage keys, then for each
// key an int64 element count and the raw little-endian elements.
#pragma once
#include <string>

#include "byte_view.h"
#include "torch_checkpoint.h"

namespace vit {

// True when the bytes start with the legacy magic-number pickle.
bool looks_like_legacy_torch(ByteView bytes);

TorchCheckpoint read_legacy_torch(ByteView bytes, const std::string& where, const TorchLoadOptions& options);

}  // namespace vit

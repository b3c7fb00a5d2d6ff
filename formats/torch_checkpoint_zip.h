// The zip form of torch.save: <prefix>/data.pkl, <prefix>/data/<key>, <prefix>/byteorder.
#pragma once
#include <string>

#include "byte_view.h"
#include "torch_checkpoint.h"

namespace vit {

TorchCheckpoint read_torch_zip(ByteView bytes, const std::string& where, const TorchLoadOptions& options);

}  // namespace vit

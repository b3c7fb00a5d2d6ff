// Text that identifies where a oneDNN memory layout puts each byte, so that bytes packed by one
// process can be reused by another only when the layouts are exactly the same.
#pragma once
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

namespace vit {

// Every field of the descriptor that decides the bytes (dims, type, padding, blocking,
// compensation), with the oneDNN version that wrote them. Empty for layouts that are not
// blocked (opaque to us: never reused).
std::string layout_text(const dnnl::memory::desc& desc);

}  // namespace vit

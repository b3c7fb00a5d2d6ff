#include "engine/ops/onednn_layout.h"

#include <sstream>

namespace vit {

namespace {

template <typename T>
void put(std::ostringstream& out, const char* name, const T* values, int count) {
  out << ' ' << name << '=';
  for (int i = 0; i < count; ++i) out << (i ? "," : "") << values[i];
}

}  // namespace

std::string layout_text(const dnnl::memory::desc& desc) {
  const dnnl_memory_desc_t& d = desc.data;
  if (d.format_kind != dnnl_blocked || d.ndims < 1 || d.ndims > DNNL_MAX_NDIMS) return "";
  const dnnl_blocking_desc_t& b = d.format_desc.blocking;
  if (b.inner_nblks < 0 || b.inner_nblks > DNNL_MAX_NDIMS) return "";
  const dnnl_version_t* v = dnnl_version();
  std::ostringstream out;
  out << "onednn " << v->major << '.' << v->minor << '.' << v->patch << ' ' << v->hash;
  out << " type=" << static_cast<int>(d.data_type);
  put(out, "dims", d.dims, d.ndims);
  put(out, "padded", d.padded_dims, d.ndims);
  put(out, "offsets", d.padded_offsets, d.ndims);
  out << " offset0=" << d.offset0;
  put(out, "strides", b.strides, d.ndims);
  put(out, "blocks", b.inner_blks, b.inner_nblks);
  put(out, "block_dims", b.inner_idxs, b.inner_nblks);
  out << " extra=" << d.extra.flags << ',' << d.extra.compensation_mask << ',' << d.extra.scale_adjust << ','
      << d.extra.asymm_compensation_mask;
  return out.str();
}

}  // namespace vit

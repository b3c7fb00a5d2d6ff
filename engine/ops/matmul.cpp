#include "engine/ops/matmul.h"


#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <tuple>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/ops/huge_pages.h"
#include "engine/ops/lru_cache.h"
#include "engine/ops/onednn_layout.h"
#include "engine/ops/quantize.h"
#include "engine/ops/rescale_rows.h"
#include "formats/error.h"

namespace vit {

namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
// rows, inputs, outputs, bias, epilogue, gamma, packed, weight type, bfloat16 input, bfloat16 output
using Key = std::tuple<int64_t, int64_t, int64_t, bool, int, bool, bool, int, bool, bool>;

// Every primitive here takes its scratchpad at execution (user mode): a library-managed one
// belongs to the primitive, so two threads running one cached primitive at once would share it
// and overwrite each other's partial results.
dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// The calling thread's scratchpad, at least `bytes` long. One primitive executes at a time per
// thread (streams here are synchronous), so a single buffer per thread serves them all.
void* thread_scratchpad(size_t bytes) {
  thread_local std::shared_ptr<void> block;
  thread_local size_t capacity = 0;
  if (bytes > capacity) {
    block = allocate_huge_pages(bytes);
    capacity = bytes;
  }
  return block.get();
}

// A cached primitive and the scratchpad it needs.
struct Runnable {
  dnnl::primitive primitive;
  size_t scratchpad = 0;
};

template <typename PrimitiveDesc>
size_t scratchpad_bytes(const PrimitiveDesc& pd) {
  return pd.scratchpad_desc().get_size();
}

void execute(const dnnl::engine& engine, const dnnl::primitive& primitive, size_t scratchpad, dnnl::stream& stream,
             std::unordered_map<int, dnnl::memory> args) {
  if (scratchpad > 0)
    args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(dnnl::memory::desc({static_cast<int64_t>(scratchpad)}, dt::u8, tag::a),
                                                   engine, thread_scratchpad(scratchpad)));
  primitive.execute(stream, args);
}

// Where the post-op arguments sit in a chain (-1: absent).
struct PostOpLayout {
  int column_scales = -1, gamma = -1;
};

// The chain [column scales] epilogue; column scales and gamma are [1, outputs] operands.
dnnl::primitive_attr make_attr(bool column_scales, Epilogue epilogue, bool has_gamma, int64_t outputs,
                               PostOpLayout* layout) {
  dnnl::post_ops ops;
  const dnnl::memory::desc row({1, outputs}, dt::f32, tag::ab);
  int next = 0;
  if (column_scales) {
    ops.append_binary(dnnl::algorithm::binary_mul, row);
    layout->column_scales = next++;
  }
  switch (epilogue) {
    case Epilogue::None:
      break;
    case Epilogue::GeluErf:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
      break;
    case Epilogue::GeluTanh:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_tanh, 0.0f, 0.0f);
      break;
    case Epilogue::QuickGelu:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.702f, 0.0f);
      break;
    case Epilogue::AddToOutput:
      if (has_gamma) {
        ops.append_binary(dnnl::algorithm::binary_mul, row);
        layout->gamma = next++;
      }
      ops.append_sum(1.0f);
      break;
  }
  dnnl::primitive_attr attr = user_scratchpad();
  attr.set_post_ops(ops);
  return attr;
}

dnnl::memory::desc plain_weights(int64_t inputs, int64_t outputs) {
  return dnnl::memory::desc({inputs, outputs}, dt::f32, tag::ba);  // [outputs, inputs] row-major
}

}  // namespace

// Packed weights are sub-allocated from large huge-page chunks: few page faults, and matrices
// do not each round up to whole 2 MiB pages (which cost ViT-B 60 MiB of resident memory).
class WeightArena {
 public:
  std::shared_ptr<void> allocate(size_t bytes) {
    constexpr size_t kAlign = 4096;
    bytes = (bytes + kAlign - 1) / kAlign * kAlign;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!chunk_ || used_ + bytes > chunk_bytes_) {
      chunk_bytes_ = std::max(kChunk, (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes);
      chunk_ = allocate_huge_pages(chunk_bytes_);
      used_ = 0;
    }
    std::shared_ptr<void> slice(chunk_, static_cast<char*>(chunk_.get()) + used_);  // keeps the chunk alive
    used_ += bytes;
    return slice;
  }

 private:
  static constexpr size_t kChunk = size_t{32} << 20;

  std::mutex mutex_;
  std::shared_ptr<void> chunk_;
  size_t chunk_bytes_ = 0, used_ = 0;
};

struct MatmulRunner::State {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  WeightArena arena;
  std::mutex mutex;
  struct Linear {
    dnnl::matmul primitive;
    size_t scratchpad = 0;
    PostOpLayout layout;
    Epilogue epilogue = Epilogue::None;  // int8 applies it after the GEMM
    bool accumulates = false;            // AddToOutput
  };
  // Bounded, so that inputs of ever new sizes do not keep ever more primitives.
  LruCache<Key, Linear> cache{MatmulRunner::kCachedPrimitives};
  LruCache<std::vector<int64_t>, Runnable> strided_cache{MatmulRunner::kCachedPrimitives};

  // bfloat16 conversion of activations, keyed by shape and type.
  Runnable get_reorder(const dnnl::memory::desc& from, const dnnl::memory::desc& to) {
    std::vector<int64_t> key = {-3, from.dims()[0], from.dims()[1], static_cast<int64_t>(to.data_type())};
    return get_strided(key, [&] {
      const dnnl::reorder::primitive_desc pd(engine, from, engine, to, user_scratchpad());
      return Runnable{dnnl::reorder(pd), scratchpad_bytes(pd)};
    });
  }

  // Primitives other than linear layers, keyed by every number that shapes them.
  template <typename Make>
  Runnable get_strided(const std::vector<int64_t>& key, Make make) {
    std::lock_guard<std::mutex> lock(mutex);
    Runnable found;
    if (strided_cache.get(key, &found)) return found;
    Runnable made = make();
    strided_cache.put(key, made);
    return made;
  }

  // oneDNN picks the same blocked layout for every row count (checked for f32, bf16 and int8 on
  // AVX-512), so one packing serves every batch size.
  dnnl::memory::desc packed_desc(int64_t inputs, int64_t outputs, Precision precision) {
    const dt type = precision == Precision::BF16 ? dt::bf16 : precision == Precision::Int8 ? dt::s8 : dt::f32;
    try {
      PostOpLayout unused;
      return describe({1, inputs, outputs}, dnnl::memory::desc({inputs, outputs}, type, tag::any), false,
                      Epilogue::None, false, false, &unused)
          .weights_desc();
    } catch (const dnnl::error&) {
      fail("", std::string("this CPU has no ") + precision_name(precision) + " matrix multiplication in oneDNN");
    }
  }

  dnnl::matmul::primitive_desc describe(const LinearShape& s, const dnnl::memory::desc& weights, bool has_bias,
                                        Epilogue epilogue, bool has_gamma, bool bf16_out, PostOpLayout* layout) {
    const bool int8 = weights.data_type() == dt::s8;
    dnnl::memory::desc src({s.rows, s.inputs}, weights.data_type(), tag::ab);
    dnnl::memory::desc bias =
        has_bias && !int8 ? dnnl::memory::desc({1, s.outputs}, dt::f32, tag::ab) : dnnl::memory::desc();
    dnnl::memory::desc dst({s.rows, s.outputs}, bf16_out ? dt::bf16 : dt::f32, tag::ab);
    const dnnl::primitive_attr attr = int8 ? make_attr(true, Epilogue::None, false, s.outputs, layout)
                                           : make_attr(false, epilogue, has_gamma, s.outputs, layout);
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, bias, dst), attr, engine);
  }

  // Int8 runs in two steps, because oneDNN 2.6's VNNI kernels take no per-row scales: the
  // GEMM gives int32 sums times the weights' column scales; then rescale_rows multiplies by the
  // activations' row scales and applies bias and epilogue.
  Linear get(const LinearShape& s, const dnnl::memory::desc& weights, bool packed, bool has_bias, Epilogue epilogue,
             bool has_gamma, bool bf16_in, bool bf16_out) {
    const dt type = weights.data_type();
    if ((bf16_in && type != dt::bf16) || (bf16_out && (type == dt::s8 || epilogue == Epilogue::AddToOutput)))
      fail("MatmulRunner", "bfloat16 activations in a layer that cannot take them");
    Key key{s.rows, s.inputs, s.outputs, has_bias, static_cast<int>(epilogue), has_gamma, packed,
            static_cast<int>(type), bf16_in, bf16_out};
    std::lock_guard<std::mutex> lock(mutex);
    Linear linear;
    if (cache.get(key, &linear)) return linear;
    linear.epilogue = epilogue;
    linear.accumulates = epilogue == Epilogue::AddToOutput;
    const auto pd = describe(s, weights, has_bias, epilogue, has_gamma, bf16_out, &linear.layout);
    linear.primitive = dnnl::matmul(pd);
    linear.scratchpad = scratchpad_bytes(pd);
    cache.put(key, linear);
    return linear;
  }

  dnnl::memory wrap(const std::vector<int64_t>& dims, const void* p, dt type = dt::f32) {
    return dnnl::memory(dnnl::memory::desc(dims, type, tag::ab), engine, const_cast<void*>(p));
  }

  // The GEMM's source: the input as given, or converted to the weights' type in a per-thread
  // buffer (bfloat16 by a reorder; int8 per row, its scales then in *row_scales).
  dnnl::memory source(const LinearShape& s, LinearInput input, dt type, dnnl::stream& stream,
                      const float** row_scales) {
    thread_local std::vector<uint8_t> converted;
    thread_local std::vector<float> scales;
    if (input.int8()) {
      *row_scales = input.row_scales;
      return wrap({s.rows, s.inputs}, input.data, dt::s8);
    }
    const dnnl::memory given = wrap({s.rows, s.inputs}, input.data, input.bf16 ? dt::bf16 : dt::f32);
    if (type == dt::f32 || input.bf16) return given;
    const int64_t n = s.rows * s.inputs;
    const size_t bytes = static_cast<size_t>(n) * (type == dt::bf16 ? sizeof(uint16_t) : sizeof(int8_t));
    if (converted.size() < bytes) converted.resize(bytes);
    dnnl::memory to = wrap({s.rows, s.inputs}, converted.data(), type);
    if (type == dt::bf16) {
      const Runnable reorder = get_reorder(given.get_desc(), to.get_desc());
      execute(engine, reorder.primitive, reorder.scratchpad, stream, {{DNNL_ARG_FROM, given}, {DNNL_ARG_TO, to}});
      stream.wait();
    } else {
      scales.resize(s.rows);
      quantize_rows(static_cast<const float*>(input.data), s.rows, s.inputs, reinterpret_cast<int8_t*>(converted.data()),
                    scales.data());
      *row_scales = scales.data();
    }
    return to;
  }

  void run(const Linear& linear, const LinearShape& s, LinearInput input, const dnnl::memory& weights,
           const std::vector<float>& weight_scales, const float* bias, LinearOutput output, const float* gamma) {
    auto post_op = [](int index) { return DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1; };
    const dt type = weights.get_desc().data_type();
    const bool int8 = type == dt::s8;
    dnnl::stream stream(engine);
    const float* row_scales = nullptr;
    const dnnl::memory src = source(s, input, type, stream, &row_scales);
    // int8 sums go to the output's buffer for them, or to a per-thread one where y keeps the
    // residual until the rescale adds to it.
    thread_local std::vector<float> sums;
    float* product = output.int8() ? output.int8_sums : static_cast<float*>(output.data);
    if (int8 && linear.accumulates) {
      if (sums.size() < static_cast<size_t>(s.rows * s.outputs)) sums.resize(s.rows * s.outputs);
      product = sums.data();
    }
    std::unordered_map<int, dnnl::memory> args;
    args.emplace(DNNL_ARG_SRC, src);
    args.emplace(DNNL_ARG_WEIGHTS, weights);
    args.emplace(DNNL_ARG_DST, output.bf16 ? wrap({s.rows, s.outputs}, output.data, dt::bf16)
                                           : wrap({s.rows, s.outputs}, product));
    if (int8) {
      args.emplace(post_op(linear.layout.column_scales), wrap({1, s.outputs}, weight_scales.data()));
    } else {
      if (bias) args.emplace(DNNL_ARG_BIAS, wrap({1, s.outputs}, bias));
      if (gamma) args.emplace(post_op(linear.layout.gamma), wrap({1, s.outputs}, gamma));
    }
    execute(engine, linear.primitive, linear.scratchpad, stream, std::move(args));
    stream.wait();
    if (!int8) return;
    const RowRescale rescale{product, row_scales, bias, gamma, linear.epilogue, s.rows, s.outputs};
    if (output.int8())
      rescale_rows(rescale, static_cast<int8_t*>(output.data), output.row_scales);
    else
      rescale_rows(rescale, static_cast<float*>(output.data));
  }
};

MatmulRunner::MatmulRunner() : state_(std::make_unique<State>()) {}
MatmulRunner::~MatmulRunner() = default;

size_t MatmulRunner::cached_primitives() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->cache.size() + state_->strided_cache.size();
}

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::F32: return "f32";
    case Precision::BF16: return "bf16";
    case Precision::Int8: return "int8";
  }
  return "?";
}

Precision precision_from_name(const std::string& name, const std::string& where) {
  for (Precision p : {Precision::F32, Precision::BF16, Precision::Int8})
    if (name == precision_name(p)) return p;
  fail(where, "unknown dtype \"" + name + "\" (f32, bf16 or int8)");
}

PackedWeights MatmulRunner::pack(const float* weight, int64_t inputs, int64_t outputs, Precision precision) const {
  return pack_blocks(inputs, {outputs}, precision, [weight](size_t) { return weight; });
}

PackedWeights MatmulRunner::pack_blocks(int64_t inputs, const std::vector<int64_t>& block_outputs, Precision precision,
                                        const std::function<const float*(size_t)>& block) const {
  int64_t outputs = 0;
  for (int64_t n : block_outputs) outputs += n;
  const dnnl::memory::desc layout = state_->packed_desc(inputs, outputs, precision);
  std::shared_ptr<void> buffer = state_->arena.allocate(layout.get_size());
  struct Packed {
    std::shared_ptr<void> buffer;
    dnnl::memory memory;
  };
  auto holder = std::make_shared<Packed>(Packed{buffer, dnnl::memory(layout, state_->engine, buffer.get())});
  std::shared_ptr<dnnl::memory> packed(holder, &holder->memory);
  PackedWeights result;
  result.inputs_ = inputs;
  result.outputs_ = outputs;
  result.memory_ = packed;
  dnnl::stream stream(state_->engine);
  auto reorder = [&](const dnnl::memory& from, const dnnl::memory& to) {
    dnnl::reorder(from, to).execute(stream, const_cast<dnnl::memory&>(from), const_cast<dnnl::memory&>(to));
    stream.wait();
  };

  // Each block straight into its part of the packed layout, when the block boundaries fall on
  // the layout's blocking (oneDNN keeps each group of 64 outputs contiguous): no stacked copy
  // (85 MB for ViT-B's q/k/v). int8 layouts carry compensation terms, so they always stack.
  std::vector<dnnl::memory::desc> parts;
  if (precision != Precision::Int8) {
    try {
      int64_t offset = 0;
      for (int64_t n : block_outputs) {
        parts.push_back(layout.submemory_desc({inputs, n}, {0, offset}));
        offset += n;
      }
    } catch (const dnnl::error&) {
      parts.clear();
    }
  }
  if (!parts.empty()) {
    for (size_t i = 0; i < parts.size(); ++i)
      reorder(dnnl::memory(plain_weights(inputs, block_outputs[i]), state_->engine, const_cast<float*>(block(i))),
              dnnl::memory(parts[i], state_->engine, buffer.get()));
    return result;
  }
  std::vector<float> stacked;
  const float* matrix = block_outputs.size() == 1 ? block(0) : nullptr;
  if (!matrix) {
    stacked.resize(static_cast<size_t>(inputs * outputs));
    int64_t offset = 0;
    for (size_t i = 0; i < block_outputs.size(); ++i) {
      std::copy_n(block(i), block_outputs[i] * inputs, &stacked[offset * inputs]);
      offset += block_outputs[i];
    }
    matrix = stacked.data();
  }
  if (precision != Precision::Int8) {
    reorder(dnnl::memory(plain_weights(inputs, outputs), state_->engine, const_cast<float*>(matrix)), *packed);
    return result;
  }
  std::vector<int8_t> quantized(static_cast<size_t>(inputs * outputs));
  result.scales_.resize(outputs);
  quantize_rows(matrix, outputs, inputs, quantized.data(), result.scales_.data());
  reorder(dnnl::memory(dnnl::memory::desc({inputs, outputs}, dt::s8, tag::ba), state_->engine, quantized.data()), *packed);
  return result;
}

PackedImage MatmulRunner::image_of(const PackedWeights& weights) const {
  const auto& memory = *static_cast<const dnnl::memory*>(weights.memory_.get());
  const dnnl::memory::desc desc = memory.get_desc();
  return {layout_text(desc), ByteView{static_cast<const uint8_t*>(memory.get_data_handle()), desc.get_size(), weights.memory_},
          weights.scales_};
}

PackedWeights MatmulRunner::from_image(int64_t inputs, int64_t outputs, Precision precision,
                                       const PackedImage& image) const {
  const dnnl::memory::desc layout = state_->packed_desc(inputs, outputs, precision);
  if (image.layout != layout_text(layout) || image.bytes.size != layout.get_size() ||
      image.scales.size() != (precision == Precision::Int8 ? static_cast<size_t>(outputs) : 0))
    fail("", "packed weights do not match this CPU's layout for a " + std::to_string(inputs) + "x" +
                 std::to_string(outputs) + " " + precision_name(precision) + " matrix");
  struct Adopted {
    ByteView bytes;
    dnnl::memory memory;
  };
  // oneDNN only reads weights, but its memory objects take a mutable pointer.
  auto holder = std::make_shared<Adopted>(
      Adopted{image.bytes, dnnl::memory(layout, state_->engine, const_cast<uint8_t*>(image.bytes.data))});
  PackedWeights result;
  result.inputs_ = inputs;
  result.outputs_ = outputs;
  result.memory_ = std::shared_ptr<const dnnl::memory>(holder, &holder->memory);
  result.scales_ = image.scales;
  return result;
}

void MatmulRunner::linear(const LinearShape& s, LinearInput x, const PackedWeights& weight, const float* bias,
                          LinearOutput y, Epilogue epilogue, const float* gamma) const {
  const auto& memory = *static_cast<const dnnl::memory*>(weight.memory_.get());
  const bool int8_weights = memory.get_desc().data_type() == dt::s8;
  if ((x.int8() || y.int8()) &&
      (!int8_weights || (y.int8() && (epilogue == Epilogue::AddToOutput || y.int8_sums == nullptr))))
    fail("MatmulRunner", "int8 activations in a layer that cannot take them");
  if (epilogue != Epilogue::AddToOutput) gamma = nullptr;
  const State::Linear linear =
      state_->get(s, memory.get_desc(), true, bias != nullptr, epilogue, gamma != nullptr, x.bf16, y.bf16);
  state_->run(linear, s, x, memory, weight.scales_, bias, y, gamma);
}

namespace {

dnnl::memory::desc strided_desc(const int64_t dims[4], const int64_t strides[4]) {
  return dnnl::memory::desc(dnnl::memory::dims(dims, dims + 4), dt::f32, dnnl::memory::dims(strides, strides + 4));
}

}  // namespace

void MatmulRunner::strided_matmul(const StridedMatmul& m, const float* a, const float* b, float* c) const {
  std::vector<int64_t> key(m.a_dims, m.a_dims + 4);
  for (const int64_t* part : {m.a_strides, m.b_dims, m.b_strides, m.c_dims, m.c_strides}) key.insert(key.end(), part, part + 4);
  key.push_back(static_cast<int64_t>(m.scale * 1e9f));
  const dnnl::memory::desc a_md = strided_desc(m.a_dims, m.a_strides), b_md = strided_desc(m.b_dims, m.b_strides),
                           c_md = strided_desc(m.c_dims, m.c_strides);
  const Runnable matmul = state_->get_strided(key, [&] {
    dnnl::post_ops ops;
    if (m.scale != 1.0f) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, m.scale, 0.0f);
    dnnl::primitive_attr attr = user_scratchpad();
    attr.set_post_ops(ops);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), attr, state_->engine);
    return Runnable{dnnl::matmul(pd), scratchpad_bytes(pd)};
  });
  const dnnl::engine& engine = state_->engine;
  dnnl::stream stream(engine);
  execute(engine, matmul.primitive, matmul.scratchpad, stream,
          {{DNNL_ARG_SRC, dnnl::memory(a_md, engine, const_cast<float*>(a))},
           {DNNL_ARG_WEIGHTS, dnnl::memory(b_md, engine, const_cast<float*>(b))},
           {DNNL_ARG_DST, dnnl::memory(c_md, engine, c)}});
  stream.wait();
}

void MatmulRunner::softmax_last_axis(float* x, const int64_t dims[4]) const {
  std::vector<int64_t> key = {-1, dims[0], dims[1], dims[2], dims[3]};
  const dnnl::memory::desc md(dnnl::memory::dims(dims, dims + 4), dt::f32, tag::abcd);
  const Runnable softmax = state_->get_strided(key, [&] {
    const dnnl::softmax_forward::primitive_desc pd(
        dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, md, 3), user_scratchpad(), state_->engine);
    return Runnable{dnnl::softmax_forward(pd), scratchpad_bytes(pd)};
  });
  dnnl::memory memory(md, state_->engine, x);
  dnnl::stream stream(state_->engine);
  execute(state_->engine, softmax.primitive, softmax.scratchpad, stream, {{DNNL_ARG_SRC, memory}, {DNNL_ARG_DST, memory}});
  stream.wait();
}

void MatmulRunner::linear(const LinearShape& s, const float* x, const float* weight, const float* bias, float* y,
                          Epilogue epilogue, const float* gamma) const {
  if (epilogue != Epilogue::AddToOutput) gamma = nullptr;
  const dnnl::memory::desc layout = plain_weights(s.inputs, s.outputs);
  const State::Linear linear = state_->get(s, layout, false, bias != nullptr, epilogue, gamma != nullptr, false, false);
  state_->run(linear, s, x, dnnl::memory(layout, state_->engine, const_cast<float*>(weight)), {}, bias, y, gamma);
}

}  // namespace vit

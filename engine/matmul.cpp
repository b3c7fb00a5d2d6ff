#include "engine/matmul.h"

#include <map>
#include <mutex>
#include <tuple>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

namespace vit {

namespace {

using Key = std::tuple<int64_t, int64_t, int64_t, bool, int, bool>;

dnnl::primitive_attr make_attr(Epilogue epilogue, bool has_gamma, int64_t outputs) {
  dnnl::post_ops ops;
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
      if (has_gamma)
        ops.append_binary(dnnl::algorithm::binary_mul,
                          dnnl::memory::desc({1, outputs}, dnnl::memory::data_type::f32,
                                             dnnl::memory::format_tag::ab));
      ops.append_sum(1.0f);
      break;
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  return attr;
}

}  // namespace

struct MatmulRunner::State {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  std::mutex mutex;
  std::map<Key, dnnl::matmul> cache;

  dnnl::matmul get(const LinearShape& s, bool has_bias, Epilogue epilogue, bool has_gamma) {
    Key key{s.rows, s.inputs, s.outputs, has_bias, static_cast<int>(epilogue), has_gamma};
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    dnnl::memory::desc src({s.rows, s.inputs}, dt::f32, tag::ab);
    dnnl::memory::desc weights({s.inputs, s.outputs}, dt::f32, tag::ba);
    dnnl::memory::desc bias = has_bias ? dnnl::memory::desc({1, s.outputs}, dt::f32, tag::ab)
                                       : dnnl::memory::desc();
    dnnl::memory::desc dst({s.rows, s.outputs}, dt::f32, tag::ab);
    dnnl::matmul::desc desc(src, weights, bias, dst);
    dnnl::matmul::primitive_desc pd(desc, make_attr(epilogue, has_gamma, s.outputs), engine);
    dnnl::matmul primitive(pd);
    cache.emplace(key, primitive);
    return primitive;
  }
};

MatmulRunner::MatmulRunner() : state_(std::make_unique<State>()) {}
MatmulRunner::~MatmulRunner() = default;

void MatmulRunner::linear(const LinearShape& s, const float* x, const float* weight, const float* bias,
                          float* y, Epilogue epilogue, const float* gamma) const {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const bool has_gamma = epilogue == Epilogue::AddToOutput && gamma != nullptr;
  dnnl::matmul primitive = state_->get(s, bias != nullptr, epilogue, has_gamma);
  const dnnl::engine& engine = state_->engine;
  auto wrap = [&](std::vector<int64_t> dims, tag t, const float* p) {
    return dnnl::memory(dnnl::memory::desc(dims, dt::f32, t), engine, const_cast<float*>(p));
  };
  std::unordered_map<int, dnnl::memory> args;
  args.emplace(DNNL_ARG_SRC, wrap({s.rows, s.inputs}, tag::ab, x));
  args.emplace(DNNL_ARG_WEIGHTS, wrap({s.inputs, s.outputs}, tag::ba, weight));
  if (bias) args.emplace(DNNL_ARG_BIAS, wrap({1, s.outputs}, tag::ab, bias));
  args.emplace(DNNL_ARG_DST, wrap({s.rows, s.outputs}, tag::ab, y));
  if (has_gamma)
    args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, wrap({1, s.outputs}, tag::ab, gamma));
  dnnl::stream stream(engine);
  primitive.execute(stream, args);
  stream.wait();
}

}  // namespace vit

// vitcpp's Python module (vitcpp._vitcpp) over the public C++ API: numpy in and out, the GIL
// released while images are decoded and models run.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "vitcpp/vitcpp.h"

namespace py = pybind11;

namespace {

constexpr int kBatch = 8;  // images per forward pass, as vitrun's default (results depend on it)

using Pixels = py::array_t<float, py::array::c_style | py::array::forcecast>;

// A numpy array that owns `values` (moved, not copied).
py::array_t<float> to_numpy(std::vector<float>&& values, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<float>(std::move(values));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return py::array_t<float>(shape, owned->data(), free_when_done);
}

vitcpp::Dtype dtype_named(const std::string& name) {
  static const std::map<std::string, vitcpp::Dtype> names = {
      {"auto", vitcpp::Dtype::Auto}, {"f32", vitcpp::Dtype::F32}, {"bf16", vitcpp::Dtype::BF16},
      {"int8", vitcpp::Dtype::INT8}};
  const auto it = names.find(name);
  if (it == names.end()) throw py::value_error("dtype must be auto, f32, bf16 or int8, not \"" + name + "\"");
  return it->second;
}

vitcpp::Output output_named(const std::string& name) {
  vitcpp::Output kind;
  if (vitcpp::output_from_name(name, &kind)) return kind;
  throw py::value_error("unknown output \"" + name +
                        "\" (logits, pre_logits, features, pooler_output, image_embeds)");
}

// Preprocessed images of one size, stacked.
struct Stack {
  std::vector<float> pixels;
  int count = 0, height = 0, width = 0;
};

class PyModel {
 public:
  PyModel(const std::string& folder, const std::string& dtype, int threads, const py::object& cache_dir)
      : model_(load(folder, dtype_named(dtype), threads, cache_dir.is_none() ? "" : py::str(cache_dir))) {}

  // One stack per run of same-sized images, in order (each image is preprocessed as vitrun does).
  std::vector<Stack> preprocess_all(const std::vector<std::string>& paths) const {
    py::gil_scoped_release release;
    std::vector<Stack> stacks;
    for (const std::string& path : paths) {
      int h = 0, w = 0;
      std::vector<float> one = model_.preprocess_file(path, &h, &w);
      if (stacks.empty() || stacks.back().height != h || stacks.back().width != w || stacks.back().count == kBatch)
        stacks.push_back({{}, 0, h, w});
      stacks.back().pixels.insert(stacks.back().pixels.end(), one.begin(), one.end());
      ++stacks.back().count;
    }
    return stacks;
  }

  py::array_t<float> preprocess(const std::vector<std::string>& paths) const {
    std::vector<Stack> stacks = preprocess_all(paths);
    std::vector<float> all;
    for (const Stack& s : stacks) {
      if (s.height != stacks.front().height || s.width != stacks.front().width)
        throw py::value_error("the images preprocess to different sizes; pass them one at a time");
      all.insert(all.end(), s.pixels.begin(), s.pixels.end());
    }
    const py::ssize_t h = stacks.empty() ? model_.input_height() : stacks.front().height;
    const py::ssize_t w = stacks.empty() ? model_.input_width() : stacks.front().width;
    return to_numpy(std::move(all), {static_cast<py::ssize_t>(paths.size()), model_.num_channels(), h, w});
  }

  py::array_t<float> embed(const std::vector<std::string>& paths) const {
    const vitcpp::Output kind = model_.embedding_output();
    std::vector<float> all;
    for (const Stack& s : preprocess_all(paths)) {
      py::gil_scoped_release release;
      const vitcpp::Outputs out = model_.run(s.pixels.data(), s.pixels.size(), s.count, s.height, s.width, kind);
      all.insert(all.end(), out.of(kind).begin(), out.of(kind).end());
    }
    return to_numpy(std::move(all), {static_cast<py::ssize_t>(paths.size()), model_.output_size(kind)});
  }

  std::vector<std::vector<std::tuple<int, std::string, float>>> classify(const std::vector<std::string>& paths,
                                                                         int topk) const {
    std::vector<std::vector<std::tuple<int, std::string, float>>> result;
    for (const Stack& s : preprocess_all(paths)) {
      std::vector<std::vector<vitcpp::Prediction>> best;
      {
        py::gil_scoped_release release;
        best = model_.classify(s.pixels.data(), s.pixels.size(), s.count, s.height, s.width, topk);
      }
      for (const auto& image : best) {
        result.emplace_back();
        for (const vitcpp::Prediction& p : image) result.back().emplace_back(p.index, p.label, p.probability);
      }
    }
    return result;
  }

  py::dict run(const Pixels& pixels, const std::vector<std::string>& outputs) const {
    if (pixels.ndim() != 4) throw py::value_error("pixels must have shape [N, C, H, W]");
    unsigned mask = 0;
    for (const std::string& name : outputs) {
      if (mask & output_named(name)) throw py::value_error("output \"" + name + "\" is asked for twice");
      mask |= output_named(name);
    }
    const int n = static_cast<int>(pixels.shape(0)), h = static_cast<int>(pixels.shape(2));
    const int w = static_cast<int>(pixels.shape(3));
    vitcpp::Outputs out;
    {
      py::gil_scoped_release release;
      out = model_.run(pixels.data(), static_cast<size_t>(pixels.size()), n, h, w, mask);
    }
    py::dict result;
    for (const std::string& name : outputs) {
      const vitcpp::Output kind = output_named(name);
      std::vector<py::ssize_t> shape = {n, model_.output_size(kind)};
      if (kind == vitcpp::kFeatures) shape.insert(shape.begin() + 1, out.tokens);
      result[py::str(name)] = to_numpy(std::move(out.of(kind)), shape);  // each asked for once: moved
    }
    return result;
  }

  const vitcpp::Model& model() const { return model_; }

 private:
  static vitcpp::Model load(const std::string& folder, vitcpp::Dtype dtype, int threads, const std::string& cache) {
    vitcpp::Model::set_threads(threads);
    py::gil_scoped_release release;
    return vitcpp::Model::load(folder, dtype, cache);
  }

  vitcpp::Model model_;
};

}  // namespace

PYBIND11_MODULE(_vitcpp, m) {
  m.doc() = "vitcpp: Vision Transformer inference without PyTorch";
  m.attr("__version__") = "0.1.0";
  // The engine's one-line errors (std::runtime_error) arrive as RuntimeError.
  py::class_<PyModel>(m, "Model")
      .def(py::init<const std::string&, const std::string&, int, const py::object&>(), py::arg("folder"),
           py::arg("dtype") = "auto", py::arg("threads") = 0, py::arg("cache_dir") = py::none())
      .def("preprocess", &PyModel::preprocess, py::arg("images"))
      .def("embed", &PyModel::embed, py::arg("images"))
      .def("classify", &PyModel::classify, py::arg("images"), py::arg("topk") = 5)
      .def("run", &PyModel::run, py::arg("pixels"), py::arg("outputs") = std::vector<std::string>{"logits"})
      .def_property_readonly("num_classes", [](const PyModel& p) { return p.model().num_classes(); })
      .def_property_readonly("input_size", [](const PyModel& p) {
        return std::make_tuple(p.model().input_height(), p.model().input_width());
      })
      .def_property_readonly("embedding_output",
                             [](const PyModel& p) { return vitcpp::output_name(p.model().embedding_output()); })
      .def_property_readonly("embedding_size", [](const PyModel& p) {
        return p.model().output_size(p.model().embedding_output());
      });
}

// mercury._C: the TorchScript rewrite pass for Python (mercury/rewrite.py wraps it).
#include "csrc/rewrite/rewrite.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;
using mercury::rewrite::LayerInfo;
using mercury::rewrite::RewriteConfig;
using Overrides = std::map<std::string, std::string>;

namespace {

py::dict layer_dict(const LayerInfo& l) {
  py::dict d;
  d["id"] = l.id;
  d["kind"] = l.kind;
  d["name"] = l.name;
  d["op"] = l.op;
  d["weight_shape"] = l.weight_shape;
  d["stride"] = l.stride;
  d["padding"] = l.padding;
  d["dilation"] = l.dilation;
  d["groups"] = l.groups;
  for (const mercury::SettingSpec& spec : mercury::settings_table()) {
    const char* key = spec.name.c_str();
    switch (spec.type) {
      case mercury::SettingType::Int: d[key] = l.settings.get_int(spec.name); break;
      case mercury::SettingType::Float: d[key] = l.settings.get_float(spec.name); break;
      case mercury::SettingType::Bool: d[key] = l.settings.get_bool(spec.name); break;
      case mercury::SettingType::Str: d[key] = l.settings.get(spec.name); break;
    }
  }
  return d;
}

py::tuple rewrite(const torch::jit::Module& module, const Overrides& defaults,
                  const std::map<int64_t, Overrides>& by_id, const std::map<std::string, Overrides>& by_name,
                  bool freeze, const std::vector<std::string>& kinds) {
  RewriteConfig config;
  mercury::rewrite::set_kinds(config, kinds);
  for (const auto& kv : defaults) config.defaults.set(kv.first, kv.second);
  config.by_id = by_id;
  config.by_name = by_name;
  config.freeze = freeze;
  mercury::rewrite::RewriteResult result;
  {
    py::gil_scoped_release no_gil;
    result = mercury::rewrite::rewrite_module(module, config);
  }
  py::list layers;
  for (const LayerInfo& l : result.layers) layers.append(layer_dict(l));
  return py::make_tuple(result.module, layers, result.warnings);
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "mercury native helpers";
  m.def("rewrite", &rewrite, py::arg("module"), py::arg("defaults"), py::arg("by_id"), py::arg("by_name"),
        py::arg("freeze"), py::arg("kinds"),
        "Replace every 2-D convolution of a TorchScript module (torch._C.ScriptModule) with mercury::conv2d and "
        "every linear layer with mercury::linear (kinds: which of conv2d, linear); "
        "returns (new module, layer table, warnings).");
}

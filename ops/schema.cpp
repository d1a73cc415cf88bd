// Every schema of the mercury operators (conv2d, linear), in one place. The MERCURY settings part of the schemas
// (names, types, defaults) comes from the settings table (csrc/settings/settings.h): both ops take the same settings.
// Kernels are registered per dispatch key in ops/cpu, ops/meta, ops/autograd, ops/autocast and ops/cuda (a refusal:
// there are no CUDA kernels); every kernel reads the arguments with Conv2dCall::read (ops/conv2d_options.h) or
// LinearCall::read (ops/linear_options.h). The hit-log ops live in csrc/hitlog.
#include "csrc/settings/settings.h"

#include <torch/library.h>

#include <map>

namespace mercury {
namespace {

std::string conv2d_args() {
  return "Tensor input, Tensor weight, Tensor? bias, int[2] stride=1, int[2] padding=0, int[2] dilation=1, "
         "int groups=1, int layer_id=0, " + settings_schema();
}

std::string linear_args() { return "Tensor input, Tensor weight, Tensor? bias, int layer_id=0, " + settings_schema(); }

// An op, the forward autograd calls and its gradient, for the argument list `args`. The forward also returns the
// reuse map: per unit (group or input channel) and vector, the index of the vector whose result was used (itself
// on a miss); empty unless mode is "reuse". The gradient takes the output's gradient, the forward's reuse map, then
// the forward's own arguments; grad_bias is empty when there is no bias.
void define_op(torch::Library& m, const std::string& name, const std::string& args) {
  // Calls append to the hit log: CONSERVATIVE keeps TorchScript from merging or dropping them.
  const auto conservative = c10::AliasAnalysisKind::CONSERVATIVE;
  m.def(torch::schema(("mercury::" + name + "(" + args + ") -> Tensor").c_str(), conservative));
  m.def(torch::schema(("mercury::_" + name + "_forward(" + args + ") -> (Tensor output, Tensor sources)").c_str(),
                      conservative));
  m.def(torch::schema(("mercury::_" + name + "_backward(Tensor grad_output, Tensor sources, " + args +
                       ") -> (Tensor grad_input, Tensor grad_weight, Tensor grad_bias)").c_str()));
}

std::string settings_table_op() { return settings_table_json(); }

// Settings given as text (names[i] = values[i]) checked against the table; returns their canonical text. The rule
// tying cache_ways to cache_entries applies when both are given.
std::vector<std::string> check_settings_op(std::vector<std::string> names, std::vector<std::string> values) {
  TORCH_CHECK(names.size() == values.size(), "mercury::check_settings: ", names.size(), " names but ",
              values.size(), " values");
  std::vector<std::string> canonical;
  std::map<std::string, std::string> given;
  try {
    for (size_t i = 0; i < names.size(); ++i) {
      canonical.push_back(check_setting(names[i], values[i]));
      given[names[i]] = canonical.back();
    }
    if (given.count("cache_entries") && given.count("cache_ways")) {
      check_setting_combination(std::stoll(given["cache_entries"]), std::stoll(given["cache_ways"]));
    }
  } catch (const std::invalid_argument& e) {
    TORCH_CHECK(false, e.what());
  }
  return canonical;
}

}  // namespace

TORCH_LIBRARY(mercury, m) {
  define_op(m, "conv2d", conv2d_args());
  define_op(m, "linear", linear_args());
  // The settings table as JSON: how Python learns names, defaults and allowed values (mercury.settings).
  m.def("mercury::settings_table() -> str", &settings_table_op);
  m.def("mercury::check_settings(str[] names, str[] values) -> str[]", &check_settings_op);
}

}  // namespace mercury

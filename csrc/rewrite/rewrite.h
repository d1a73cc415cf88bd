// The TorchScript pass that swaps every 2-D convolution of a module for mercury::conv2d.
#pragma once

#include "csrc/settings/settings.h"

#include <torch/script.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mercury {
namespace rewrite {

struct RewriteConfig {
  Settings defaults;  // checked against the settings table when set
  // Overrides by layer id or by qualified module name (e.g. "layer1.0.conv2"): key -> value, applied in order
  // (defaults, then by name, then by id). Each value is checked against the settings table before anything is
  // rewritten, and an id or name that matches no rewritten layer is an error (std::invalid_argument).
  std::map<int64_t, std::map<std::string, std::string>> by_id;
  std::map<std::string, std::map<std::string, std::string>> by_name;
  // Freeze first (weights become constants; branches on constant attributes, e.g. MobileNetV2's residual
  // test, are resolved, so each conv appears once in execution order). Without it the module stays
  // trainable but a conv inside both arms of an `if` is counted in each arm.
  bool freeze = true;
};

struct LayerInfo {
  int64_t id = 0;
  std::string name;  // qualified module name of the conv's weight ("" when unknown)
  std::string op;    // the op it replaced: aten::conv2d or aten::_convolution
  std::vector<int64_t> weight_shape, stride, padding, dilation;  // empty when not constant
  int64_t groups = -1;
  Settings settings;
};

struct RewriteResult {
  torch::jit::Module module;
  std::vector<LayerInfo> layers;
  std::vector<std::string> warnings;  // convs left as they were, and why
};

// Works on a clone: `module` is left as it was.
RewriteResult rewrite_module(const torch::jit::Module& module, const RewriteConfig& config);

// "id,name,op,weight_shape,stride,padding,dilation,groups," then one column per setting (settings table order).
std::string layer_table_csv(const std::vector<LayerInfo>& layers);

}  // namespace rewrite
}  // namespace mercury

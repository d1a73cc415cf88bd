// The TorchScript pass that swaps every 2-D convolution of a module for mercury::conv2d and every linear layer
// (aten::linear, and aten::matmul / aten::addmm whose second operand is a weight) for mercury::linear, numbering
// both kinds in one sequence, in execution order.
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
  // Which kinds of layer to rewrite (by default the convolutions, as before linear layers existed).
  bool conv2d = true;
  bool linear = false;
};

struct LayerInfo {
  int64_t id = 0;
  std::string kind;  // "conv2d" or "linear"
  std::string name;  // qualified module name of the layer's weight ("" when unknown)
  std::string op;    // the op it replaced: aten::conv2d, aten::_convolution, aten::linear, aten::matmul, aten::addmm
  std::vector<int64_t> weight_shape;  // as mercury's op takes it ([out, in] for linear layers)
  std::vector<int64_t> stride, padding, dilation;  // conv2d; empty when not constant (and for linear layers)
  int64_t groups = -1;
  Settings settings;
};

struct RewriteResult {
  torch::jit::Module module;
  std::vector<LayerInfo> layers;
  std::vector<std::string> warnings;  // convs left as they were, and why
};

// Sets config.conv2d / config.linear from kind names ("conv2d", "linear"); throws std::invalid_argument for an
// unknown or empty list.
void set_kinds(RewriteConfig& config, const std::vector<std::string>& kinds);

// Works on a clone: `module` is left as it was.
RewriteResult rewrite_module(const torch::jit::Module& module, const RewriteConfig& config);

// "id,kind,name,op,weight_shape,stride,padding,dilation,groups," then one column per setting (settings table
// order).
std::string layer_table_csv(const std::vector<LayerInfo>& layers);

}  // namespace rewrite
}  // namespace mercury

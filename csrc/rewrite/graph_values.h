// What the rewrite pass reads off a TorchScript graph: where a node comes from, the constants of its arguments, and
// which module attribute a weight is.
#pragma once

#include <torch/csrc/jit/ir/ir.h>
#include <torch/script.h>

#include <functional>
#include <string>
#include <vector>

namespace mercury {
namespace rewrite {

// Every node of `block` and its sub-blocks, in graph order, for which `wanted` holds.
void collect(torch::jit::Block* block, const std::function<bool(torch::jit::Node*)>& wanted,
             std::vector<torch::jit::Node*>& out);

// The first line of the node's source range (for warnings).
std::string where(const torch::jit::Node* node);

// An int[] that is a constant or a list built from constants; empty when it is computed.
std::vector<int64_t> constant_ints(torch::jit::Value* v);

// The tensor a layer's weight value is, when it is the model's own: an attribute reached by prim::GetAttr from
// `self` (then `name` is its module path without the attribute, e.g. "layer1.0.conv1") or a constant. An
// undefined tensor when the weight is computed (an activation).
at::Tensor model_weight(torch::jit::Value* weight, const torch::jit::Module& root, std::string& name);

}  // namespace rewrite
}  // namespace mercury

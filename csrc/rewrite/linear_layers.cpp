#include "csrc/rewrite/linear_layers.h"

#include "csrc/rewrite/graph_values.h"

#include <torch/csrc/jit/ir/constants.h>

namespace mercury {
namespace rewrite {

using torch::jit::Node;
using torch::jit::Value;

namespace {

const c10::Symbol kLinear = c10::Symbol::fromQualString("aten::linear");
const c10::Symbol kMatmul = c10::Symbol::fromQualString("aten::matmul");
const c10::Symbol kAddmm = c10::Symbol::fromQualString("aten::addmm");
const c10::Symbol kTranspose = c10::Symbol::fromQualString("aten::t");
const c10::Symbol kMercuryLinear = c10::Symbol::fromQualString("mercury::linear");

// A linear layer's operands as mercury::linear takes them; `transposed`: the weight is [in, out].
struct LinearOperands {
  Value* input = nullptr;
  Value* weight = nullptr;
  Value* bias = nullptr;  // nullptr: no bias
  bool transposed = false;
};

bool is_one(Value* v) {
  const auto iv = torch::jit::toIValue(v);
  return iv && ((iv->isInt() && iv->toInt() == 1) || (iv->isDouble() && iv->toDouble() == 1.0));
}

// The operands of `node`, or false with `why` when it is not a linear layer mercury::linear can take.
bool operands(Node* node, LinearOperands& o, std::string& why) {
  if (node->kind() == kLinear) {
    o = {node->namedInput("input"), node->namedInput("weight"), node->namedInput("bias"), false};
    return true;
  }
  if (node->kind() == kMatmul) {
    o = {node->input(0), node->input(1), nullptr, true};
    return true;
  }
  if (!is_one(node->namedInput("beta")) || !is_one(node->namedInput("alpha"))) {
    why = "addmm with beta or alpha other than 1";
    return false;
  }
  o = {node->namedInput("mat1"), node->namedInput("mat2"), node->namedInput("self"), true};
  return true;
}

}  // namespace

bool is_linear_like(const Node* node) {
  return node->kind() == kLinear || node->kind() == kMatmul || node->kind() == kAddmm;
}

bool replace_linear(torch::jit::Graph& graph, Node* node, const torch::jit::Module& root, int64_t id,
                    LayerInfo& info, std::vector<std::string>& warnings) {
  info.kind = "linear";
  info.op = node->kind().toQualString();
  LinearOperands o;
  std::string why;
  if (!operands(node, o, why)) {
    warnings.push_back(info.op + " at " + where(node) + ": " + why + "; left as it is");
    return false;
  }
  const at::Tensor weight = model_weight(o.weight, root, info.name);
  if (!weight.defined() || weight.dim() != 2) {
    // matmul/addmm of two activations (attention) is no layer; a linear with a computed weight is worth a word.
    if (node->kind() == kLinear) {
      warnings.push_back("aten::linear at " + where(node) + ": its weight is computed or not 2-D; left as it is");
    }
    return false;
  }
  std::string bias_name;
  if (o.bias != nullptr && node->kind() == kAddmm) {
    const at::Tensor bias = model_weight(o.bias, root, bias_name);
    if (!bias.defined() || bias.dim() != 1) {
      warnings.push_back("aten::addmm at " + where(node) + ": its added term is not a 1-D bias; left as it is");
      return false;
    }
  }
  info.weight_shape = o.transposed ? std::vector<int64_t>{weight.size(1), weight.size(0)} : weight.sizes().vec();
  torch::jit::WithInsertPoint guard(node);
  Value* w = o.transposed ? graph.insert(kTranspose, {o.weight}) : o.weight;
  Value* bias = o.bias != nullptr ? o.bias : graph.insertConstant(c10::IValue());
  // The provisional id rides in layer_id until the pass numbers every layer; the settings keep their defaults.
  Value* out = graph.insert(kMercuryLinear, {o.input, w, bias}, {torch::jit::NamedValue("layer_id", id)});
  out->setType(node->output()->type());
  node->output()->replaceAllUsesWith(out);
  node->destroy();
  return true;
}

}  // namespace rewrite
}  // namespace mercury

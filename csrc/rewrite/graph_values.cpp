#include "csrc/rewrite/graph_values.h"

#include <torch/csrc/jit/ir/constants.h>

#include <sstream>

namespace mercury {
namespace rewrite {

using torch::jit::Node;
using torch::jit::Value;

namespace {

// Follows `prim::GetAttr` from the weight back to `self`: "layer1.0.conv1.weight" and its tensor.
bool attribute_path(Value* v, const torch::jit::Module& root, std::string& path, at::Tensor& tensor) {
  std::vector<std::string> names;
  while (v->node()->kind() == c10::prim::GetAttr) {
    names.push_back(v->node()->s(c10::attr::name));
    v = v->node()->input(0);
  }
  if (names.empty() || v->node()->kind() != c10::prim::Param) return false;
  c10::IValue object = root._ivalue();
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    auto obj = object.toObject();
    if (!obj->type()->hasAttribute(*it)) return false;
    object = obj->getAttr(*it);
    path += (path.empty() ? "" : ".") + *it;
  }
  if (!object.isTensor()) return false;
  tensor = object.toTensor();
  return true;
}

}  // namespace

void collect(torch::jit::Block* block, const std::function<bool(Node*)>& wanted, std::vector<Node*>& out) {
  for (Node* node : block->nodes()) {
    if (wanted(node)) out.push_back(node);
    for (torch::jit::Block* sub : node->blocks()) collect(sub, wanted, out);
  }
}

std::string where(const Node* node) {
  std::ostringstream s;
  node->sourceRange().highlight(s);
  std::string text = s.str();
  const auto line_end = text.find('\n');
  return line_end == std::string::npos ? text : text.substr(0, line_end);
}

// An int[] that is a constant or a list built from constants; empty when it is computed.
std::vector<int64_t> constant_ints(Value* v) {
  if (auto iv = torch::jit::toIValue(v)) return iv->isIntList() ? iv->toIntVector() : std::vector<int64_t>{};
  if (v->node()->kind() != c10::prim::ListConstruct) return {};
  std::vector<int64_t> out;
  for (Value* item : v->node()->inputs()) {
    auto iv = torch::jit::toIValue(item);
    if (!iv || !iv->isInt()) return {};
    out.push_back(iv->toInt());
  }
  return out;
}

at::Tensor model_weight(Value* weight, const torch::jit::Module& root, std::string& name) {
  at::Tensor tensor;
  std::string path;
  if (attribute_path(weight, root, path, tensor)) {
    const auto dot = path.rfind('.');
    name = dot == std::string::npos ? path : path.substr(0, dot);
  } else if (auto constant = torch::jit::toIValue(weight)) {
    if (constant->isTensor()) tensor = constant->toTensor();
  }
  return tensor;
}

}  // namespace rewrite
}  // namespace mercury

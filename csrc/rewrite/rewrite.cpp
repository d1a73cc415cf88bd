#include "csrc/rewrite/rewrite.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/inliner.h>

#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace mercury {
namespace rewrite {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

namespace {

const c10::Symbol kConv2d = c10::Symbol::fromQualString("aten::conv2d");
const c10::Symbol kConvolution = c10::Symbol::fromQualString("aten::_convolution");
const c10::Symbol kMercuryConv2d = c10::Symbol::fromQualString("mercury::conv2d");
const std::vector<c10::Symbol> kOtherConvs = {c10::Symbol::fromQualString("aten::conv1d"),
                                              c10::Symbol::fromQualString("aten::conv3d"),
                                              c10::Symbol::fromQualString("aten::conv_transpose1d"),
                                              c10::Symbol::fromQualString("aten::conv_transpose2d"),
                                              c10::Symbol::fromQualString("aten::conv_transpose3d")};
// Position of a named argument in mercury::conv2d's schema (which the settings table builds).
size_t mercury_arg(const std::string& name) {
  static const c10::FunctionSchema& schema =
      c10::Dispatcher::singleton().findSchemaOrThrow("mercury::conv2d", "").schema();
  const auto index = schema.argumentIndexWithName(name);
  TORCH_CHECK(index.has_value(), "mercury::conv2d has no argument '", name, "'");
  return static_cast<size_t>(*index);
}

// A setting's value as the constant its schema argument takes.
c10::IValue setting_value(const Settings& s, const SettingSpec& spec) {
  switch (spec.type) {
    case SettingType::Int: return s.get_int(spec.name);
    case SettingType::Float: return s.get_float(spec.name);
    case SettingType::Bool: return s.get_bool(spec.name);
    case SettingType::Str: return s.get(spec.name);
  }
  return {};
}

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

struct Candidate {
  Node* node;
  LayerInfo info;
  Value* input;
  Value* weight;
  Value* bias;
  Value* stride;
  Value* padding;  // nullptr: padding given as explicit ints in `info.padding`
  Value* dilation;
  Value* groups;
};

// Checks one conv node; returns false (with a warning) when it must be left as it is.
bool inspect(Node* node, const torch::jit::Module& root, Candidate& c, std::vector<std::string>& warnings) {
  c.node = node;
  c.info.op = node->kind().toQualString();
  // Same argument names in aten::conv2d (both overloads) and aten::_convolution.
  c.input = node->namedInput("input");
  c.weight = node->namedInput("weight");
  c.bias = node->namedInput("bias");
  c.stride = node->namedInput("stride");
  c.padding = node->namedInput("padding");
  c.dilation = node->namedInput("dilation");
  c.groups = node->namedInput("groups");

  at::Tensor weight;
  std::string path;
  if (attribute_path(c.weight, root, path, weight)) {
    const auto dot = path.rfind('.');
    c.info.name = dot == std::string::npos ? path : path.substr(0, dot);
  } else if (auto constant = torch::jit::toIValue(c.weight)) {
    if (constant->isTensor()) weight = constant->toTensor();
  }
  if (!weight.defined()) {
    warnings.push_back(c.info.op + " at " + where(node) +
                       ": its weight is computed, not a parameter or constant; left as it is");
    return false;
  }
  if (weight.dim() != 4) {
    warnings.push_back(c.info.op + " at " + where(node) + ": weight is " + std::to_string(weight.dim()) +
                       "-D, not a 2-D convolution; left as it is");
    return false;
  }
  if (node->kind() == kConvolution) {
    const auto transposed = torch::jit::toIValue(node->namedInput("transposed"));
    if (!transposed || !transposed->isBool() || transposed->toBool()) {
      warnings.push_back("aten::_convolution at " + where(node) + ": transposed convolution; left as it is");
      return false;
    }
  }
  c.info.weight_shape = weight.sizes().vec();
  c.info.stride = constant_ints(c.stride);
  c.info.dilation = constant_ints(c.dilation);
  if (auto g = torch::jit::toIValue(c.groups)) c.info.groups = g->toInt();

  if (c.padding->type()->kind() == c10::TypeKind::StringType) {  // aten::conv2d.padding: 'valid' / 'same'
    const auto mode = torch::jit::toIValue(c.padding);
    const std::string padding = mode ? mode->toStringRef() : "";
    std::vector<int64_t> pads;
    if (padding == "valid") {
      pads = {0, 0};
    } else if (padding == "same" && c.info.dilation.size() == 2) {
      for (int d = 0; d < 2; ++d) {
        const int64_t total = c.info.dilation[d] * (weight.size(2 + d) - 1);
        if (total % 2 == 0) pads.push_back(total / 2);
      }
    }
    if (pads.size() != 2) {
      warnings.push_back("aten::conv2d at " + where(node) + ": padding='" + padding +
                         "' needs uneven padding or is not a constant; left as it is");
      return false;
    }
    c.info.padding = pads;
    c.padding = nullptr;
  } else {
    c.info.padding = constant_ints(c.padding);
  }
  return true;
}

void set_settings(Graph& graph, Node* node, int64_t id, const Settings& s) {
  torch::jit::WithInsertPoint guard(node);
  node->replaceInput(mercury_arg("layer_id"), graph.insertConstant(id));
  for (const SettingSpec& spec : settings_table()) {
    node->replaceInput(mercury_arg(spec.name), graph.insertConstant(setting_value(s, spec)));
  }
}

Settings settings_for(const LayerInfo& info, const RewriteConfig& config) {
  Settings s = config.defaults;
  auto apply = [&](const std::map<std::string, std::string>& overrides) {
    for (const auto& kv : overrides) s.set(kv.first, kv.second);
  };
  auto by_name = config.by_name.find(info.name);
  if (by_name != config.by_name.end()) apply(by_name->second);
  auto by_id = config.by_id.find(info.id);
  if (by_id != config.by_id.end()) apply(by_id->second);
  s.check_combination();
  return s;
}

// Every override must be valid and name a layer that exists: checked before anything is rewritten.
void check_overrides(const RewriteConfig& config) {
  config.defaults.check_combination();
  for (const auto& layer : config.by_id) {
    if (layer.first < 0) throw std::invalid_argument("layer override for id " + std::to_string(layer.first));
    for (const auto& kv : layer.second) check_setting(kv.first, kv.second);
  }
  for (const auto& layer : config.by_name) {
    for (const auto& kv : layer.second) check_setting(kv.first, kv.second);
  }
}

void check_override_targets(const RewriteConfig& config, const std::vector<LayerInfo>& layers) {
  for (const auto& layer : config.by_id) {
    if (layer.first >= static_cast<int64_t>(layers.size())) {
      throw std::invalid_argument("layer override for id " + std::to_string(layer.first) + ", but the model has " +
                                  std::to_string(layers.size()) + " rewritten conv layers (ids 0.." +
                                  std::to_string(static_cast<int64_t>(layers.size()) - 1) + ")");
    }
  }
  for (const auto& layer : config.by_name) {
    const bool found = std::any_of(layers.begin(), layers.end(),
                                   [&](const LayerInfo& l) { return l.name == layer.first; });
    if (!found) {
      std::string names;
      for (size_t i = 0; i < layers.size() && i < 5; ++i) names += (i ? ", " : "") + layers[i].name;
      throw std::invalid_argument("layer override for '" + layer.first + "', but no rewritten conv has that name (" +
                                  "e.g. " + names + (layers.size() > 5 ? ", ..." : "") + ")");
    }
  }
}

// Module::clone copies tensors with autograd on, which would make the copies' parameters non-leaves.
torch::jit::Module clone_with_leaf_parameters(const torch::jit::Module& module) {
  torch::jit::Module m;
  {
    torch::NoGradGuard no_grad;
    m = module.clone();
  }
  auto original = module.named_parameters().begin();
  for (const auto& p : m.named_parameters()) {
    p.value.requires_grad_((*original).value.requires_grad());
    ++original;
  }
  return m;
}

}  // namespace

RewriteResult rewrite_module(const torch::jit::Module& module, const RewriteConfig& config) {
  check_overrides(config);
  RewriteResult result;
  torch::jit::Module m = clone_with_leaf_parameters(module);
  std::shared_ptr<Graph> graph = m.get_method("forward").graph();
  torch::jit::Inline(*graph);

  // Phase 1: replace every 2-D conv; a provisional id indexes the layer facts gathered here.
  std::vector<Node*> convs;
  collect(graph->block(), [](Node* n) { return n->kind() == kConv2d || n->kind() == kConvolution; }, convs);
  std::vector<Node*> others;
  collect(graph->block(), [](Node* n) {
    return std::find(kOtherConvs.begin(), kOtherConvs.end(), n->kind()) != kOtherConvs.end();
  }, others);
  for (Node* n : others) {
    result.warnings.push_back(std::string(n->kind().toQualString()) + " at " + where(n) +
                              ": not a 2-D convolution; left as it is");
  }
  std::vector<LayerInfo> provisional;
  for (Node* node : convs) {
    Candidate c;
    if (!inspect(node, m, c, result.warnings)) continue;
    torch::jit::WithInsertPoint guard(node);
    Value* padding = c.padding ? c.padding : graph->insertConstant(c10::IValue(c.info.padding));
    // The provisional id rides in layer_id until phase 2; the settings keep their schema defaults until then.
    const auto id = static_cast<int64_t>(provisional.size());
    Value* out = graph->insert(kMercuryConv2d, {c.input, c.weight, c.bias, c.stride, padding, c.dilation, c.groups},
                               {torch::jit::NamedValue("layer_id", id)});
    out->setType(node->output()->type());
    node->output()->replaceAllUsesWith(out);
    node->destroy();
    provisional.push_back(c.info);
  }
  torch::jit::EliminateDeadCode(graph);

  // Phase 2: freeze (weights become constants, constant branches disappear), then number in graph order.
  if (config.freeze) {
    m = torch::jit::freeze_module(m);
    graph = m.get_method("forward").graph();
    torch::jit::Inline(*graph);
    torch::jit::ConstantPropagation(graph);
    torch::jit::EliminateDeadCode(graph);
  }
  std::vector<Node*> rewritten;
  collect(graph->block(), [](Node* n) { return n->kind() == kMercuryConv2d; }, rewritten);
  for (Node* node : rewritten) {
    LayerInfo info = provisional.at(torch::jit::toIValue(node->input(mercury_arg("layer_id")))->toInt());
    info.id = static_cast<int64_t>(result.layers.size());
    info.settings = settings_for(info, config);
    set_settings(*graph, node, info.id, info.settings);
    result.layers.push_back(info);
  }
  torch::jit::EliminateDeadCode(graph);
  check_override_targets(config, result.layers);
  if (result.layers.empty()) {
    result.warnings.push_back("no 2-D convolution was rewritten: the module is unchanged");
  }
  result.module = m;
  return result;
}

std::string layer_table_csv(const std::vector<LayerInfo>& layers) {
  auto join = [](const std::vector<int64_t>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "x" : "") + std::to_string(v[i]);
    return s;
  };
  std::ostringstream out;
  out << "id,name,op,weight_shape,stride,padding,dilation,groups";
  for (const SettingSpec& spec : settings_table()) out << ',' << spec.name;
  out << '\n';
  for (const LayerInfo& l : layers) {
    out << l.id << ',' << l.name << ',' << l.op << ',' << join(l.weight_shape) << ',' << join(l.stride) << ','
        << join(l.padding) << ',' << join(l.dilation) << ',' << l.groups;
    for (const SettingSpec& spec : settings_table()) out << ',' << l.settings.get(spec.name);
    out << '\n';
  }
  return out.str();
}

}  // namespace rewrite
}  // namespace mercury

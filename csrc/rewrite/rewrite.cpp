#include "csrc/rewrite/rewrite.h"

#include "csrc/rewrite/graph_values.h"
#include "csrc/rewrite/linear_layers.h"

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
const c10::Symbol kMercuryLinear = c10::Symbol::fromQualString("mercury::linear");

// Position of a named argument in a mercury op node's schema (which the settings table builds).
size_t mercury_arg(const Node* node, const std::string& name) {
  const auto index = node->schema().argumentIndexWithName(name);
  TORCH_CHECK(index.has_value(), node->kind().toQualString(), " has no argument '", name, "'");
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

  c.info.kind = "conv2d";
  const at::Tensor weight = model_weight(c.weight, root, c.info.name);
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
  node->replaceInput(mercury_arg(node, "layer_id"), graph.insertConstant(id));
  for (const SettingSpec& spec : settings_table()) {
    node->replaceInput(mercury_arg(node, spec.name), graph.insertConstant(setting_value(s, spec)));
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
                                  std::to_string(layers.size()) + " rewritten layers (ids 0.." +
                                  std::to_string(static_cast<int64_t>(layers.size()) - 1) + ")");
    }
  }
  for (const auto& layer : config.by_name) {
    const bool found = std::any_of(layers.begin(), layers.end(),
                                   [&](const LayerInfo& l) { return l.name == layer.first; });
    if (!found) {
      std::string names;
      for (size_t i = 0; i < layers.size() && i < 5; ++i) names += (i ? ", " : "") + layers[i].name;
      throw std::invalid_argument("layer override for '" + layer.first + "', but no rewritten layer has that name (" +
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

namespace {

bool is_conv(const Node* n) { return n->kind() == kConv2d || n->kind() == kConvolution; }

// Replaces one 2-D conv node by mercury::conv2d (provisional id `id`); false when it is left as it is.
bool replace_conv(Graph& graph, Node* node, const torch::jit::Module& root, int64_t id, LayerInfo& info,
                  std::vector<std::string>& warnings) {
  Candidate c;
  if (!inspect(node, root, c, warnings)) return false;
  torch::jit::WithInsertPoint guard(node);
  Value* padding = c.padding ? c.padding : graph.insertConstant(c10::IValue(c.info.padding));
  // The provisional id rides in layer_id until phase 2; the settings keep their schema defaults until then.
  Value* out = graph.insert(kMercuryConv2d, {c.input, c.weight, c.bias, c.stride, padding, c.dilation, c.groups},
                            {torch::jit::NamedValue("layer_id", id)});
  out->setType(node->output()->type());
  node->output()->replaceAllUsesWith(out);
  node->destroy();
  info = c.info;
  return true;
}

void warn_other_convs(Graph& graph, std::vector<std::string>& warnings) {
  std::vector<Node*> others;
  collect(graph.block(), [](Node* n) {
    return std::find(kOtherConvs.begin(), kOtherConvs.end(), n->kind()) != kOtherConvs.end();
  }, others);
  for (Node* n : others) {
    warnings.push_back(std::string(n->kind().toQualString()) + " at " + where(n) +
                       ": not a 2-D convolution; left as it is");
  }
}

// Phase 1: replace every layer of the configured kinds; a provisional id indexes the facts gathered here.
std::vector<LayerInfo> replace_layers(Graph& graph, const torch::jit::Module& root, const RewriteConfig& config,
                                      std::vector<std::string>& warnings) {
  std::vector<Node*> nodes;
  collect(graph.block(), [&](Node* n) { return (config.conv2d && is_conv(n)) || (config.linear && is_linear_like(n)); },
          nodes);
  if (config.conv2d) warn_other_convs(graph, warnings);
  std::vector<LayerInfo> provisional;
  for (Node* node : nodes) {
    LayerInfo info;
    const auto id = static_cast<int64_t>(provisional.size());
    const bool replaced = is_conv(node) ? replace_conv(graph, node, root, id, info, warnings)
                                        : replace_linear(graph, node, root, id, info, warnings);
    if (replaced) provisional.push_back(info);
  }
  return provisional;
}

}  // namespace

void set_kinds(RewriteConfig& config, const std::vector<std::string>& kinds) {
  if (kinds.empty()) throw std::invalid_argument("kinds: give at least one of conv2d, linear");
  config.conv2d = config.linear = false;
  for (const std::string& kind : kinds) {
    if (kind == "conv2d") {
      config.conv2d = true;
    } else if (kind == "linear") {
      config.linear = true;
    } else {
      throw std::invalid_argument("kinds: unknown kind '" + kind + "' (known: conv2d, linear)");
    }
  }
}

RewriteResult rewrite_module(const torch::jit::Module& module, const RewriteConfig& config) {
  check_overrides(config);
  RewriteResult result;
  torch::jit::Module m = clone_with_leaf_parameters(module);
  std::shared_ptr<Graph> graph = m.get_method("forward").graph();
  torch::jit::Inline(*graph);
  const std::vector<LayerInfo> provisional = replace_layers(*graph, m, config, result.warnings);
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
  collect(graph->block(), [](Node* n) { return n->kind() == kMercuryConv2d || n->kind() == kMercuryLinear; },
          rewritten);
  for (Node* node : rewritten) {
    LayerInfo info = provisional.at(torch::jit::toIValue(node->input(mercury_arg(node, "layer_id")))->toInt());
    info.id = static_cast<int64_t>(result.layers.size());
    info.settings = settings_for(info, config);
    set_settings(*graph, node, info.id, info.settings);
    result.layers.push_back(info);
  }
  torch::jit::EliminateDeadCode(graph);
  check_override_targets(config, result.layers);
  if (result.layers.empty()) {
    const std::string what = config.conv2d && config.linear ? "2-D convolution or linear layer"
                             : config.conv2d                  ? "2-D convolution"
                                                              : "linear layer";
    result.warnings.push_back("no " + what + " was rewritten: the module is unchanged");
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
  out << "id,kind,name,op,weight_shape,stride,padding,dilation,groups";
  for (const SettingSpec& spec : settings_table()) out << ',' << spec.name;
  out << '\n';
  for (const LayerInfo& l : layers) {
    out << l.id << ',' << l.kind << ',' << l.name << ',' << l.op << ',' << join(l.weight_shape) << ',' << join(l.stride) << ','
        << join(l.padding) << ',' << join(l.dilation) << ',' << l.groups;
    for (const SettingSpec& spec : settings_table()) out << ',' << l.settings.get(spec.name);
    out << '\n';
  }
  return out.str();
}

}  // namespace rewrite
}  // namespace mercury

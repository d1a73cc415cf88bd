#include "join.h"

#include "parse_error.h"

#include <cctype>

namespace msim {

void check_layer_ids(const std::vector<Layer>& layers, const std::string& topology_file) {
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string& n = layers[i].name;
    size_t end = 1;
    while (end < n.size() && std::isdigit(static_cast<unsigned char>(n[end]))) ++end;
    if (n.size() < 3 || n[0] != 'L' || end == 1 || end >= n.size() || n[end] != '_') continue;  // no L<id>_ prefix
    const long long id = std::stoll(n.substr(1, std::min<size_t>(end - 1, 18)));
    if (id != static_cast<long long>(i)) {
      throw ParseError(topology_file, layers[i].line,
                       "layer '" + n + "' is row " + std::to_string(i) + " but its name says layer id " +
                           std::to_string(id) + " (row i must be layer id i)");
    }
  }
}

std::vector<std::string> join_hitlogs(std::vector<Layer>& layers, const std::map<long long, LayerHits>& hitlogs,
                                      const std::string& topology_file) {
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].row != static_cast<long long>(i)) {  // the layer after a depthwise row of several channels
      throw ParseError(topology_file, layers[i].line,
                       "a depthwise (DP) row simulated as one layer per channel shifts the layer ids: hit logs "
                       "(row i = layer id i) cannot be joined to it (not supported)");
    }
  }
  check_layer_ids(layers, topology_file);
  std::vector<std::string> warnings;
  for (const auto& entry : hitlogs) {  // (no structured bindings: clang 14 cannot capture them in lambdas)
    const long long id = entry.first;
    const LayerHits& h = entry.second;
    if (id < 0 || id >= static_cast<long long>(layers.size())) {
      warnings.push_back(h.file + ": layer id " + std::to_string(id) + " has no row in " + topology_file + " (" +
                         std::to_string(layers.size()) + " rows): ignored");
      continue;
    }
    Layer& l = layers[static_cast<size_t>(id)];
    auto mismatch = [&](const std::string& what, long long log, long long topo) {
      throw ParseError(h.file, h.first_line,
                       "hit log " + what + " " + std::to_string(log) + " does not match " + topology_file + ":" +
                           std::to_string(l.line) + " (layer '" + l.name + "': " + std::to_string(topo) + ")");
    };
    if (h.groups == 0) mismatch("groups", h.groups, 1);
    const long long g = h.groups > 0 ? h.groups : 1;  // no groups column: an ungrouped conv
    l.groups = g;
    check_layer_size(l, h.file, h.first_line);  // MACs times groups
    if (l.gemm) continue;  // a GEMM row has no conv geometry to compare
    if (h.C > 0 && h.C != l.channels * g) mismatch("input channels C", h.C, l.channels * g);
    if (h.out_channels > 0 && h.out_channels != l.filters * g) mismatch("out_channels", h.out_channels, l.filters * g);
    if (h.kernel_h > 0 && h.dilation_h * (h.kernel_h - 1) + 1 != l.filter_h) {
      mismatch("effective kernel height", h.dilation_h * (h.kernel_h - 1) + 1, l.filter_h);
    }
    if (h.kernel_w > 0 && h.dilation_w * (h.kernel_w - 1) + 1 != l.filter_w) {
      mismatch("effective kernel width", h.dilation_w * (h.kernel_w - 1) + 1, l.filter_w);
    }
    if (h.out_h > 0 && h.out_w > 0 && (h.out_h != l.ofmap_h() || h.out_w != l.ofmap_w())) {
      warnings.push_back(h.file + ":" + std::to_string(h.first_line) + ": output " + std::to_string(h.out_h) + "x" +
                         std::to_string(h.out_w) + " differs from " + topology_file + ":" + std::to_string(l.line) +
                         " (" + std::to_string(l.ofmap_h()) + "x" + std::to_string(l.ofmap_w()) +
                         "): the hit fraction is applied to the topology's size");
    }
  }
  return warnings;
}

}  // namespace msim

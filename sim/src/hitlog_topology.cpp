#include "hitlog_topology.h"

#include "csrc/hitlog/record_schema.h"
#include "parse_error.h"

#include <cstdio>

namespace msim {

std::vector<Layer> layers_from_hitlogs(const std::map<long long, LayerHits>& hitlogs, const std::string& dir) {
  std::vector<Layer> layers;
  long long expected = 0;
  for (const auto& entry : hitlogs) {  // ordered by id
    if (entry.first != expected) {
      char missing[32];
      std::snprintf(missing, sizeof(missing), MERCURY_HITLOG_FILE_PREFIX "%03lld.csv", expected);
      throw ParseError(dir, 0, "layer id " + std::to_string(expected) + " has no hit log (" + missing + ") but id " +
                                   std::to_string(entry.first) + " has: without -t the ids must be 0 .. L-1");
    }
    ++expected;
    const LayerHits& h = entry.second;
    auto need = [&](long long v, const char* column) {
      if (v <= 0) {
        throw ParseError(h.file, h.first_line, std::string("column '") + column + "' must be present and > 0 to build "
                                               "the layer without -t, got " + std::to_string(v));
      }
      return v;
    };
    const long long C = need(h.C, "C"), cout = need(h.out_channels, "out_channels"), g = need(h.groups, "groups");
    if (C % g != 0 || cout % g != 0) {
      throw ParseError(h.file, h.first_line, "C (" + std::to_string(C) + ") and out_channels (" + std::to_string(cout) +
                                                 ") must be multiples of groups (" + std::to_string(g) + ")");
    }
    auto at_most_2_31 = [&](long long v, const char* what) {  // as a topology field (no 64-bit overflow later)
      if (v > (1LL << 31)) {
        throw ParseError(h.file, h.first_line, std::string(what) + " " + std::to_string(v) + " must be <= 2^31");
      }
      return v;
    };
    Layer l;
    char name[32];
    std::snprintf(name, sizeof(name), "L%03lld", entry.first);
    l.name = name;
    l.row = entry.first;
    l.filter_h = at_most_2_31(need(h.dilation_h, "dilation_h") * (need(h.kernel_h, "kernel_h") - 1) + 1,
                              "effective kernel height");
    l.filter_w = at_most_2_31(need(h.dilation_w, "dilation_w") * (need(h.kernel_w, "kernel_w") - 1) + 1,
                              "effective kernel width");
    l.stride_h = need(h.stride_h, "stride_h");
    l.stride_w = need(h.stride_w, "stride_w");
    l.ifmap_h = at_most_2_31((need(h.out_h, "out_h") - 1) * l.stride_h + l.filter_h, "input height");
    l.ifmap_w = at_most_2_31((need(h.out_w, "out_w") - 1) * l.stride_w + l.filter_w, "input width");
    l.channels = C / g;
    l.filters = cout / g;
    l.groups = g;
    check_layer_size(l, h.file, h.first_line);
    layers.push_back(l);
  }
  if (layers.empty()) throw ParseError(dir, 0, "no " MERCURY_HITLOG_FILE_PREFIX "NNN.csv files in the hit log directory");
  return layers;
}

}  // namespace msim

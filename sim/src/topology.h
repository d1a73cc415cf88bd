// SCALE-Sim topology CSVs: conv format (name, ifmap H, W, filter H, W, channels, filters, stride) or GEMM (M, N, K).
#pragma once

#include <string>
#include <vector>

namespace msim {

struct Layer {
  std::string name;
  long long ifmap_h = 0, ifmap_w = 0, filter_h = 0, filter_w = 0, channels = 0, filters = 0, stride = 1;
  long long groups = 1;  // from a "/g<G>" name suffix: the row is one group, simulated G times
  bool gemm = false;     // from a GEMM (M, N, K) row
  int line = 0;          // the row's line in its file (0: not from a file), for join errors
  // Operand-matrix view (SCALE-Sim's): ofmap pixels, window size K = fh * fw * C.
  long long ofmap_h() const { return (ifmap_h - filter_h + stride) / stride + ((ifmap_h - filter_h + stride) % stride != 0); }
  long long ofmap_w() const { return (ifmap_w - filter_w + stride) / stride + ((ifmap_w - filter_w + stride) % stride != 0); }
  long long ofmap_px() const { return ofmap_h() * ofmap_w(); }
  long long window() const { return filter_h * filter_w * channels; }
};

// Throws ParseError (file:line) on an empty file, a short or non-numeric row, a non-positive dimension or a
// filter larger than its ifmap.
std::vector<Layer> parse_topology(const std::string& path);
std::vector<Layer> parse_topology_text(const std::string& text, const std::string& name);

}  // namespace msim

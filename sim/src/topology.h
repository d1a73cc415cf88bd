// SCALE-Sim topology CSVs (scalesim/topology_utils.py, v2 and v3), read as SCALE-Sim reads them: conv rows (name,
// IFMAP H, W, filter H, W, channels, filters, stride height[, stride width][, N:M]) or GEMM rows (name, M, N, K[, N:M]).
// sim/README.md lists every input form and what happens to it.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace msim {

struct LayoutRow;  // layout.h

struct Layer {
  std::string name;
  long long ifmap_h = 0, ifmap_w = 0, filter_h = 0, filter_w = 0, channels = 0, filters = 0;
  long long stride_h = 1, stride_w = 1;
  // Groups of a grouped conv: the layer is one group, simulated `groups` times. Topology rows are always 1 (SCALE-Sim
  // has no groups); the hit logs set it (join.h, hitlog_topology.h).
  long long groups = 1;
  bool gemm = false;     // from a GEMM (M, N, K) row
  // SCALE-Sim v3's N:M weight sparsity (topology column `N:M`, default 1:1): N nonzero weights in every block of M
  // consecutive window indices. `sparse`: the layer runs on v3's sparse weight-stationary array ([sparsity]
  // SparsitySupport on, set by apply_sparsity in sparsity.h); then it maps only the kept window indices.
  long long nm_n = 1, nm_m = 1;
  bool nm_from_row = false;  // the topology row had the N:M column (else [mercury] SparsityRatio applies)
  bool sparse = false;
  // v3's row-wise sparsity ([sparsity] OptimizedMapping true): BlockSize B (0: layer-wise N:M) and each filter's
  // nonzeros in every block of B window indices (v3 draws them, sparsity.h). The filter is condensed to
  // row_wise_rows() = ceil(K / 2B) B rows (half of K padded to 2B); the ifmap stays whole.
  long long row_wise_block = 0;
  std::shared_ptr<const std::vector<long long>> row_nonzeros;
  // SCALE-Sim v3's layout row for this layer (layout.h; set by attach_layouts), null: SCALE-Sim's own order.
  std::shared_ptr<const LayoutRow> layout;
  int line = 0;          // the row's line in its file (0: not from a topology file), for join errors
  long long row = 0;     // the row's index after the header (a depthwise row gives several layers of one row)
  // Operand-matrix view (SCALE-Sim's): ofmap pixels ceil((H - Fh + S) / S), window size K = fh * fw * C.
  long long ofmap_h() const { return (ifmap_h - filter_h + stride_h + stride_h - 1) / stride_h; }
  long long ofmap_w() const { return (ifmap_w - filter_w + stride_w + stride_w - 1) / stride_w; }
  long long ofmap_px() const { return ofmap_h() * ofmap_w(); }
  long long window() const { return filter_h * filter_w * channels; }
  // The window indices kept by N:M (the first N of every block of M, as v3's pattern), and the window the array
  // maps: the kept ones on the sparse array (row-wise: the condensed filter's rows), else all. Kept index j is
  // window index kept_index(j) (layer-wise N:M).
  long long kept_window() const { return window() / nm_m * nm_n + std::min(window() % nm_m, nm_n); }
  long long row_wise_rows() const { return (window() + 2 * row_wise_block - 1) / (2 * row_wise_block) * row_wise_block; }
  long long mapped_window() const { return !sparse ? window() : row_wise_block ? row_wise_rows() : kept_window(); }
  long long kept_index(long long j) const { return sparse && !row_wise_block ? j / nm_n * nm_m + j % nm_n : j; }
  // Every window inside the ifmap (SCALE-Sim's ceil formula can place the last one past the edge: -1 addresses).
  bool windows_in_bounds() const {
    return (ofmap_h() - 1) * stride_h + filter_h <= ifmap_h && (ofmap_w() - 1) * stride_w + filter_w <= ifmap_w;
  }
};

// SCALE-Sim's mapping of a GEMM row (M, N, K) to a conv: an M x K ifmap, a 1 x K filter, N filters, stride 1 (so
// ofmap_px() = M, window() = K, filters = N).
Layer gemm_layer(const std::string& name, long long m, long long n, long long k);

// "N:M" (1 <= N <= M) into l.nm_n, l.nm_m, or ParseError(file, line, label ...).
void parse_sparsity_ratio(const std::string& text, const std::string& label, const std::string& file, int line,
                          Layer& l);

// Throws ParseError (file:line) on an empty file, a short, long or non-numeric row, a non-positive dimension, a
// filter larger than its ifmap, or a layer whose counts would leave 64 bits. The header decides the format: second column "M" is
// GEMM (SCALE-Sim's `-i gemm`), anything else conv.
std::vector<Layer> parse_topology(const std::string& path);
std::vector<Layer> parse_topology_text(const std::string& text, const std::string& name);

// The 64-bit guard every layer passes (also those built from hit logs): ParseError at file:line when a layer's
// operands exceed 2^40 words or its MACs (times groups) 2^60.
void check_layer_size(const Layer& l, const std::string& file, int line);

}  // namespace msim

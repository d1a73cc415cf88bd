#include "sparsity.h"

#include "numpy_random.h"
#include "scalesim_constants.h"

#include <algorithm>
#include <memory>

namespace msim {

void apply_sparsity(std::vector<Layer>& layers, const Config& c) {
  const bool row_wise = c.sparsity.on && c.sparsity.optimized_mapping;
  std::shared_ptr<std::vector<long long>> nonzeros;
  if (row_wise) {  // every layer draws from a fresh seed: filter n gets the n-th draw in every layer
    long long filters = 0;
    for (const Layer& l : layers) filters = std::max(filters, l.filters);
    NumpyRandomState random(static_cast<uint32_t>(c.sparsity.seed));
    nonzeros = std::make_shared<std::vector<long long>>();
    for (long long n = 0; n < filters; ++n) nonzeros->push_back(random.randint(1, c.sparsity.block_size / 2 + 1));
  }
  for (Layer& l : layers) {
    l.sparse = c.sparsity.on;
    if (row_wise) {
      l.row_wise_block = c.sparsity.block_size;
      l.row_nonzeros = nonzeros;
    }
    if (l.nm_from_row) continue;
    l.nm_n = c.sparsity.default_n;
    l.nm_m = c.sparsity.default_m;
  }
}

long long nonzero_weights(const Layer& l) {
  if (!l.row_wise_block) return l.kept_window() * l.filters;
  const long long K = l.window(), B = l.row_wise_block;
  long long weights = 0;
  for (long long n = 0; n < l.filters; ++n) {
    const long long r = (*l.row_nonzeros)[static_cast<size_t>(n)];
    weights += K / B * r + std::min(K % B, r);
  }
  return weights;
}

namespace {

// Each fold's array rows read their blocks of the ifmap: 2R window indices from fold fr on, each block of B read by
// B / 2 rows (systolic_compute_ws.py, skew_matrix_row_sparsity): P (B / 2) valid indices per fold and pixel.
long long row_wise_ifmap_reads(const Layer& l, const Config& c, long long px, const ComputeResult& r) {
  const long long R = c.array_height, K = l.window(), half = l.row_wise_block / 2;
  long long reads = 0;
  for (long long fr = 0; fr < r.row_fold; ++fr) reads += px * half * std::max(0LL, std::min(2 * R, K - fr * 2 * R));
  return reads * r.col_fold;
}

}  // namespace

void row_wise_compute(const Layer& l, const Config& c, long long px, ComputeResult& r) {
  const long long folds = r.row_fold * r.col_fold, weights = nonzero_weights(l);
  r.mapping_efficiency = 100.0 * static_cast<double>(weights) /
                         (static_cast<double>(folds) * static_cast<double>(c.array_height * c.array_width));
  r.macs = weights * px;
  r.filter_sram_reads = weights;
  r.ifmap_sram_reads = row_wise_ifmap_reads(l, c, px, r);
}

long long v3_row_wise_filter_reads(const Layer& l) { return l.row_wise_rows() * l.filters; }

long long v3_row_wise_ifmap_reads(const Layer& l, const Config& c) {
  const Mapping m = map_layer(l, c.dataflow);
  const long long R = c.array_height, folds = ceil_div(m.sr, R) * ceil_div(m.sc, c.array_width);
  return folds * (l.ofmap_px() + R - 1) * R * l.row_wise_block;
}

FilterStorage filter_storage(const Layer& l, SparseRep rep) {
  FilterStorage s;
  const long long K = l.window(), N = l.filters, kept = nonzero_weights(l);
  s.original = K * N;
  switch (rep) {
    case SparseRep::Csr:
      s.metadata = static_cast<double>(kept + K + 1);
      break;
    case SparseRep::Csc:
      s.metadata = static_cast<double>(kept + N + 1);
      break;
    case SparseRep::EllpackBlock: {
      long long bits = 0;  // ceil(log2 M)
      while ((1LL << bits) < l.nm_m) ++bits;
      // Per entry of the condensed filter (row-wise: its empty slots too), with the topology's M as v3 takes it.
      const long long entries = l.row_wise_block ? l.row_wise_rows() * N : kept;
      s.metadata = static_cast<double>(entries * bits) / 32.0;
      s.compressed = static_cast<double>(entries) + s.metadata;
      return s;
    }
  }
  s.compressed = static_cast<double>(kept) + s.metadata;
  return s;
}

double v3_sparse_ifmap_reads(const Layer& l, const Config& c) {
  const Mapping m = map_layer(l, c.dataflow);  // ws: Sr = K' kept indices, Sc = N, T = P
  const long long R = c.array_height, col_folds = ceil_div(m.sc, c.array_width);
  const double reads_per_kept = static_cast<double>(l.nm_m) / static_cast<double>(l.nm_n);
  double reads = 0;
  for (long long fc = 0; fc < col_folds; ++fc) {
    for (long long first = 0; first < m.sr; first += R) {
      reads += static_cast<double>(m.t * std::min(R, m.sr - first)) * reads_per_kept;
    }
  }
  return reads;
}

}  // namespace msim

#include "sparsity.h"

#include "scalesim_constants.h"

#include <algorithm>

namespace msim {

void apply_sparsity(std::vector<Layer>& layers, const Config& c) {
  for (Layer& l : layers) {
    l.sparse = c.sparsity.on;
    if (l.nm_from_row) continue;
    l.nm_n = c.sparsity.default_n;
    l.nm_m = c.sparsity.default_m;
  }
}

FilterStorage filter_storage(const Layer& l, SparseRep rep) {
  FilterStorage s;
  const long long K = l.window(), N = l.filters, kept = l.kept_window() * N;  // nonzero weights
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
      s.metadata = static_cast<double>(kept * bits) / 32.0;
      break;
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

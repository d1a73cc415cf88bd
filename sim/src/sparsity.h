// SCALE-Sim v3's N:M weight sparsity on the weight-stationary array ([sparsity], layer-wise: OptimizedMapping
// false): each filter keeps the first N of every M window indices (operand_matrix.py's pattern), the array maps the
// kept K' indices (Layer::mapped_window), and the filter is stored compressed with metadata
// (compute/compression.py). sim/README.md, "SCALE-Sim v3", has the model and where mercury-sim's numbers differ.
#pragma once

#include "compute.h"
#include "config.h"
#include "topology.h"

#include <vector>

namespace msim {

// With c.sparsity.on, every layer runs on the sparse array (its N:M from the topology, 1:1 when absent).
void apply_sparsity(std::vector<Layer>& layers, const Config& c);

// One group's filter storage in words (SPARSE_REPORT.csv): the dense K x N filter, the compressed filter with its
// metadata, and the metadata alone (csr: column ids + row pointers; csc: row ids + column pointers; ellpack_block:
// ceil(log2 M) bits per kept weight, in 32-bit words).
struct FilterStorage {
  long long original = 0;
  double compressed = 0, metadata = 0;
};
FilterStorage filter_storage(const Layer& l, SparseRep rep);

// SCALE-Sim v3's IFMAP SRAM reads of a sparse layer (systolic_compute_ws.py): each fold's demand counted M / N
// times ("a row needs to be read M/N times"), summed in v3's order as a double. mercury-sim's own count is the
// demand matrix's (ComputeResult::ifmap_sram_reads).
double v3_sparse_ifmap_reads(const Layer& l, const Config& c);

}  // namespace msim

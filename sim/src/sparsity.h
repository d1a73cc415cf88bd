// SCALE-Sim v3's weight sparsity on the weight-stationary array ([sparsity]). Layer-wise (OptimizedMapping false):
// each filter keeps the first N of every M window indices (operand_matrix.py's pattern) and the array maps the kept
// K' indices (Layer::mapped_window). Row-wise (true): each filter keeps its own drawn number of every BlockSize
// indices, condensed into pairs of half blocks (Layer::row_wise_block). The filter is stored compressed with
// metadata (compute/compression.py). sim/README.md, "SCALE-Sim v3", has the model and where mercury-sim's numbers
// differ.
#pragma once

#include "compute.h"
#include "config.h"
#include "topology.h"

#include <vector>

namespace msim {

// With c.sparsity.on, every layer runs on the sparse array (its N:M from the topology, 1:1 when absent). Row-wise
// (OptimizedMapping): filter n keeps the first r_n of every BlockSize window indices, r_n =
// np.random.randint(1, BlockSize / 2 + 1) drawn in filter order after np.random.seed(RandomNumberGeneratorSeed),
// again for every layer (operand_matrix.py): numpy_random.h reproduces the draws.
void apply_sparsity(std::vector<Layer>& layers, const Config& c);

// The weights the sparse array holds: K' N (layer-wise), the sum of each filter's kept indices (row-wise).
long long nonzero_weights(const Layer& l);

// Row-wise layers (compute.cpp): what differs from the dense formulas with the condensed filter's rows.
// Mapping efficiency: the PEs holding a weight (v3 counts the condensed filter's empty slots out); MACs: the
// weights' P each; SRAM reads: the weights once, and each array row's block of BlockSize inputs per pixel.
// px: the pixels streamed (the layer's, or the overlay's P').
void row_wise_compute(const Layer& l, const Config& c, long long px, ComputeResult& r);
// SCALE-Sim v3's own SRAM read counts of a row-wise layer (--compat v3): its demand matrices' shapes, empty slots
// included: filter rows() x N, ifmap (P + R - 1) R BlockSize per fold.
long long v3_row_wise_filter_reads(const Layer& l);
long long v3_row_wise_ifmap_reads(const Layer& l, const Config& c);

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

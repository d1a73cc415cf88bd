// SCALE-Sim v2's compute model, in closed form: operand matrices, folds, fill/drain, per-layer cycles,
// mapping efficiency and compute utilization, for ws / os / is (see sim/README.md for the formulas).
#pragma once

#include "config.h"
#include "topology.h"

namespace msim {

// The three numbers that place a layer on the array: Sr x Sc mapped onto R x C, T streamed per fold.
struct Mapping {
  long long sr = 0, sc = 0, t = 0;
};
Mapping map_layer(const Layer& l, Dataflow d);
Mapping map_layer(long long ofmap_px, long long window, long long filters, Dataflow d);

struct ComputeResult {
  long long row_fold = 0, col_fold = 0;
  long long cycles = 0;            // SCALE-Sim's total cycles with no stalls
  double mapping_efficiency = 0;   // %, mean over folds
  double compute_util = 0;         // %, mean over folds
  long long macs = 0;              // ofmap px x window x filters
  // SRAM traffic in words, as SCALE-Sim's demand matrices count it.
  long long ifmap_sram_reads = 0, filter_sram_reads = 0, ofmap_sram_writes = 0;
  long long ofmap_elements_written = 0;  // non-padding ofmap writes (what reaches DRAM)
};

ComputeResult compute_mapping(const Mapping& m, const Config& c);
ComputeResult compute_layer(const Layer& l, const Config& c);

}  // namespace msim

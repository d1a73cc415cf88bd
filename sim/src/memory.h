// DRAM traffic, stalls and access cycles, trace-free. Default: SCALE-Sim v2's read/write buffers replayed row by
// row (cycle_replay.h, prefetch_emu.h): exact. --memory fast (Config::exact_memory = false) or layers above
// kReplayLimit: first-order: an operand that fits in the active half of its SRAM is read from DRAM once,
// otherwise every SRAM read is a DRAM read; USER-mode stalls are the interface cycles beyond the compute cycles
// for the traffic not prefetched before cycle 0. sim/README.md lists the measured deviations.
#pragma once

#include "compute.h"

namespace msim {

struct MemoryResult {
  long long ifmap_dram_reads = 0, filter_dram_reads = 0, ofmap_dram_writes = 0;
  long long stall_cycles = 0;
  long long total_cycles = 0;  // SCALE-Sim's total: the last OFMAP row's serviced cycle (compute + stalls)
  // true: SCALE-Sim's buffers were replayed (cycle_replay.h) and every number here is its own; false: the
  // first-order model below, whose start/stop cycles are the layer's span.
  bool exact_reads = false;
  double ifmap_dram_start = 0, ifmap_dram_stop = 0, filter_dram_start = 0, filter_dram_stop = 0;
  double ofmap_dram_start = 0, ofmap_dram_stop = 0;
  double ifmap_sram_start = 0, ifmap_sram_stop = 0, filter_sram_start = 0, filter_sram_stop = 0;
  double ofmap_sram_start = 0, ofmap_sram_stop = 0;
  // The replay's CALC shortcuts (cycle_replay.h), for its tests: operands counted per row (all_miss.h), folds
  // skipped as settled (settled_folds.h).
  bool ifmap_bulk = false, filter_bulk = false;
  long long ifmap_settled_folds = 0, filter_settled_folds = 0;
};

// Layers whose replay would walk more SRAM accesses, or index a larger operand (words), than these use the
// first-order model (the replay keeps a few bytes per operand address).
constexpr long long kReplayLimit = 4000000000LL;
constexpr long long kReplayMaxAddresses = 1LL << 28;

MemoryResult memory_layer(const Layer& l, const ComputeResult& compute, const Config& c);

}  // namespace msim

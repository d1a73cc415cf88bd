// A layer's (or GEMM's) MACs and accesses, as the reports count them: SRAM reads/writes from SCALE-Sim's demand
// matrices (compute.h: DETAILED_ACCESS_REPORT.csv's SRAM columns), DRAM words from the memory replay (memory.h: its
// DRAM columns). The energy model (energy.h) prices these counts and nothing else.
#pragma once

#include "compute.h"
#include "memory.h"

namespace msim {

struct AccessCounts {
  long long macs = 0;
  long long ifmap_sram_reads = 0, filter_sram_reads = 0, ofmap_sram_writes = 0;
  long long ifmap_dram_reads = 0, filter_dram_reads = 0, ofmap_dram_writes = 0;
  AccessCounts times(long long g) const;  // every count x g (the groups of a layer)
};

// memory null: no DRAM traffic (counts of a mapping alone).
AccessCounts access_counts(const ComputeResult& compute, const MemoryResult* memory);

}  // namespace msim

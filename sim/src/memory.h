// DRAM traffic and stalls, trace-free. First-order, not SCALE-Sim's cycle-by-cycle buffers: an operand that fits in
// the active half of its SRAM is fetched from DRAM once, otherwise every SRAM read is a DRAM read. Stalls are zero
// with InterfaceBandwidth CALC (SCALE-Sim sizes the interface to the demand); with USER they are the cycles the
// interface needs, beyond the compute cycles, for the traffic not prefetched before the layer starts.
// sim/README.md lists the measured deviation from SCALE-Sim.
#pragma once

#include "compute.h"

namespace msim {

struct MemoryResult {
  long long ifmap_dram_reads = 0, filter_dram_reads = 0, ofmap_dram_writes = 0;
  long long stall_cycles = 0;
};

MemoryResult memory_layer(const Layer& l, const ComputeResult& compute, const Config& c);

}  // namespace msim

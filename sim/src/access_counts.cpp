#include "access_counts.h"

namespace msim {

AccessCounts AccessCounts::times(long long g) const {
  AccessCounts a = *this;
  for (long long* v : {&a.macs, &a.ifmap_sram_reads, &a.filter_sram_reads, &a.ofmap_sram_writes, &a.ifmap_dram_reads,
                       &a.filter_dram_reads, &a.ofmap_dram_writes}) {
    *v *= g;
  }
  return a;
}

AccessCounts access_counts(const ComputeResult& compute, const MemoryResult* memory) {
  AccessCounts a;
  a.macs = compute.macs;
  a.ifmap_sram_reads = compute.ifmap_sram_reads;
  a.filter_sram_reads = compute.filter_sram_reads;
  a.ofmap_sram_writes = compute.ofmap_sram_writes;
  if (memory) {
    a.ifmap_dram_reads = memory->ifmap_dram_reads;
    a.filter_dram_reads = memory->filter_dram_reads;
    a.ofmap_dram_writes = memory->ofmap_dram_writes;
  }
  return a;
}

}  // namespace msim

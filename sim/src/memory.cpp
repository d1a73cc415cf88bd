#include "memory.h"

#include <algorithm>

namespace msim {

MemoryResult memory_layer(const Layer& l, const ComputeResult& compute, const Config& c) {
  constexpr double kActiveFraction = 0.5;  // double buffering: half of each SRAM holds the working set
  auto dram_reads = [&](long long unique, long long sram_reads, long long sram_kb) {
    const double active_words = kActiveFraction * 1024.0 * static_cast<double>(sram_kb);  // 1-byte words
    return static_cast<double>(unique) <= active_words ? std::min(unique, sram_reads) : sram_reads;
  };
  MemoryResult m;
  m.ifmap_dram_reads = dram_reads(l.ifmap_h * l.ifmap_w * l.channels, compute.ifmap_sram_reads, c.ifmap_sram_kb);
  m.filter_dram_reads = dram_reads(l.window() * l.filters, compute.filter_sram_reads, c.filter_sram_kb);
  m.ofmap_dram_writes = compute.ofmap_elements_written;
  if (!c.bandwidth_calc) {
    // SCALE-Sim prefetches the first buffer-full of each input before the layer's cycle 0; the rest of the
    // traffic must fit through the interface during the layer or it stalls.
    auto prefetched = [&](long long reads, long long sram_kb) {
      return std::min(reads, static_cast<long long>(kActiveFraction * 1024.0 * static_cast<double>(sram_kb)));
    };
    const long long words = m.ifmap_dram_reads - prefetched(m.ifmap_dram_reads, c.ifmap_sram_kb) +
                            m.filter_dram_reads - prefetched(m.filter_dram_reads, c.filter_sram_kb) +
                            m.ofmap_dram_writes;
    const long long interface_cycles = (words + c.bandwidth - 1) / c.bandwidth;
    m.stall_cycles = std::max(0LL, interface_cycles - compute.cycles);
  }
  return m;
}

}  // namespace msim

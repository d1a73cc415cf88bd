// Row-by-row, trace-free replay of SCALE-Sim v2's memory system for one layer: the demand rows (cycles) of the
// three operands are generated on the fly in SCALE-Sim's order and fed to models of its USER-mode read buffers
// (memory/read_buffer.py: circular "hashed buffer" over the prefetch matrix, bandwidth-sized prefetches) and its
// write buffer (memory/write_buffer.py), sharing one stall counter as double_buffered_scratchpad_mem.py does.
// With CALC interfaces the read buffers are the estimate-bandwidth ones (prefetch_emu.h) and the write buffer
// drains ArrayWidth words/cycle. Cost O(SRAM accesses) plus O(operand matrix) memory.
#pragma once

#include "compute.h"

namespace msim {

struct ReplayResult {
  long long stall_cycles = 0, total_cycles = 0;
  long long ifmap_dram_reads = 0, filter_dram_reads = 0, ofmap_dram_writes = 0;
  double ifmap_start = 0, ifmap_stop = 0, filter_start = 0, filter_stop = 0, ofmap_start = 0, ofmap_stop = 0;
  double ifmap_sram_start = -1, ifmap_sram_stop = 0, filter_sram_start = -1, filter_sram_stop = 0;
  double ofmap_sram_start = -1, ofmap_sram_stop = 0;
  bool ifmap_bulk = false, filter_bulk = false;  // CALC operands counted per row (all_miss.h)
  long long ifmap_settled_folds = 0, filter_settled_folds = 0;  // CALC folds skipped as settled (all hits)
};

// CALC mode: the read buffers are SCALE-Sim's estimate-bandwidth buffers (prefetch_emu.h), no read stalls.
ReplayResult replay_memory(const Layer& l, const Config& c);

}  // namespace msim

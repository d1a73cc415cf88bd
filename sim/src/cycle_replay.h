// Row-by-row, trace-free replay of SCALE-Sim v2's memory system for one layer: the demand rows (cycles) of the
// three operands are generated on the fly in SCALE-Sim's order and fed to models of its USER-mode read buffers
// (memory/read_buffer.py: circular "hashed buffer" over the prefetch matrix, bandwidth-sized prefetches) and its
// write buffer (memory/write_buffer.py), sharing one stall counter as double_buffered_scratchpad_mem.py does.
// With CALC interfaces the read buffers are the estimate-bandwidth ones (prefetch_emu.h) and the write buffer
// drains ArrayWidth words/cycle. Cost O(SRAM accesses) plus O(operand matrix) memory.
// The pieces: replay_input.h (ifmap, filter), replay_output.h (ofmap); this file steps them through the folds.
#pragma once

#include "memory.h"

namespace msim {

// Every number of the result is SCALE-Sim's own (exact_reads = true). CALC mode: no read stalls.
MemoryResult replay_memory(const Layer& l, const Config& c);

}  // namespace msim

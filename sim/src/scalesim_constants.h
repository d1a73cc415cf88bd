// SCALE-Sim v2's buffer constants that several models here share, and the rounding they all use.
#pragma once

namespace msim {

constexpr long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }

// Read buffers are cut into 100 sets (CALC, read_buffer_estimate_bw.py) or hashed lines (USER, read_buffer.py);
// the active window is half of them.
constexpr long long kBufferSets = 100;
constexpr long long kActiveSets = 50;
// CALC interfaces: the words per cycle SCALE-Sim gives its read buffers' prefetches (single_layer_sim.py).
constexpr long long kCalcReadBandwidth = 10;
// CALC read buffer: insertions between two slides of its window, B = 50 floor(words / 100).
constexpr long long calc_window_insertions(long long sram_words) { return kActiveSets * (sram_words / kBufferSets); }

}  // namespace msim

#include "memory.h"

#include "cycle_replay.h"
#include "scalesim_constants.h"

#include <algorithm>

namespace msim {

namespace {

// CALC interfaces: SCALE-Sim's estimate-bandwidth buffer keeps what it inserted until B = 50 floor(words / 100)
// insertions, then starts over. Per dataflow, the reuse it keeps within that reach (measured against the replay
// on AlexNet, ResNet-101 and GoogLeNet, sim/README.md):
// - ifmap: the touched words once when they stay below B; else ws: every SRAM read (proved exact for most
//   layers: all_miss.h); os: the whole ifmap once per col fold (one pass per filter block); is: the windows of
//   each C-pixel block once (no reuse between blocks).
// - filter: K N once when below B (os: a K x C block below B is read once and then hits), else every SRAM read.
void calc_first_order_reads(const Layer& l, const Config& c, const ComputeResult& compute, MemoryResult& m) {
  const long long C = c.array_width, K = l.mapped_window(), N = l.filters;
  const long long oh = l.ofmap_h(), ow = l.ofmap_w();
  auto span = [&](long long outs, long long filter, long long in, long long S) {  // input rows/cols the windows touch
    return std::min(in, S <= filter ? (outs - 1) * S + filter : outs * filter);
  };
  auto span_w = [&](long long outs) { return span(outs, l.filter_w, l.ifmap_w, l.stride_w); };
  const long long touched = span(oh, l.filter_h, l.ifmap_h, l.stride_h) * span_w(ow) * l.channels;
  const long long b_ifmap = calc_window_insertions(c.ifmap_sram_kb * 1024);
  const long long b_filter = calc_window_insertions(c.filter_sram_kb * 1024);
  long long ifmap = compute.ifmap_sram_reads;
  if (touched < b_ifmap) {
    ifmap = touched;
  } else if (c.dataflow == Dataflow::OS) {
    ifmap = (N + C - 1) / C * touched;
  } else if (c.dataflow == Dataflow::IS) {
    long long sum = 0;
    const long long P = oh * ow;
    for (long long p0 = 0; p0 < P; p0 += C) {  // the windows of pixels p0 .. p1, one or more output rows
      const long long p1 = std::min(P, p0 + C) - 1, r0 = p0 / ow, r1 = p1 / ow;
      if (r0 == r1) {
        sum += span_w(p1 - p0 + 1) * l.filter_h * l.channels;
      } else {
        const long long rows = std::min(l.ifmap_h, (r1 - r0) * l.stride_h + l.filter_h);
        sum += std::min(rows * l.ifmap_w, (span_w(ow - p0 % ow) + span_w(p1 % ow + 1)) * l.filter_h) * l.channels;
      }
    }
    ifmap = sum;
  }
  m.ifmap_dram_reads = std::min(ifmap, compute.ifmap_sram_reads);
  const long long block = c.dataflow == Dataflow::OS ? K * std::min(C, N) : K * N;
  m.filter_dram_reads = block < b_filter ? std::min(K * N, compute.filter_sram_reads) : compute.filter_sram_reads;
}

}  // namespace

MemoryResult memory_layer(const Layer& l, const ComputeResult& compute, const Config& c) {
  const bool small_enough = l.ifmap_h * l.ifmap_w * l.channels <= kReplayMaxAddresses &&
                            l.window() * l.filters <= kReplayMaxAddresses;
  const long long sram_accesses = compute.ifmap_sram_reads + compute.filter_sram_reads + compute.ofmap_sram_writes;
  if (c.exact_memory && small_enough && sram_accesses <= kReplayLimit) {
    return replay_memory(l, c);  // SCALE-Sim's buffers replayed row by row: counts, stalls, start/stop its own
  }
  // First-order model (--memory fast, or a layer above the replay limits).
  MemoryResult m;
  constexpr double kActiveFraction = 0.5;  // double buffering: half of each SRAM holds the working set
  auto dram_reads = [&](long long unique, long long sram_reads, long long sram_kb) {
    const double active_words = kActiveFraction * 1024.0 * static_cast<double>(sram_kb);  // 1-byte words
    return static_cast<double>(unique) <= active_words ? std::min(unique, sram_reads) : sram_reads;
  };
  m.ifmap_dram_reads = dram_reads(l.ifmap_h * l.ifmap_w * l.channels, compute.ifmap_sram_reads, c.ifmap_sram_kb);
  m.filter_dram_reads = dram_reads(l.mapped_window() * l.filters, compute.filter_sram_reads, c.filter_sram_kb);
  if (c.bandwidth_calc) calc_first_order_reads(l, c, compute, m);
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
  m.total_cycles = compute.cycles + m.stall_cycles;
  const double span = static_cast<double>(m.total_cycles);
  m.ifmap_dram_stop = m.filter_dram_stop = m.ofmap_dram_stop = span;
  m.ifmap_sram_stop = m.filter_sram_stop = m.ofmap_sram_stop = span;
  return m;
}

}  // namespace msim

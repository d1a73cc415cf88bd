#include "replay_output.h"

#include <algorithm>

namespace msim {

// CALC: SCALE-Sim gives the write buffer ArrayWidth words/cycle.
OutputReplay::OutputReplay(const Layer& l, const Config& c)
    : R_(c.array_height), C_(c.array_width), P_(l.ofmap_px()), N_(l.filters), T_(map_layer(l, c.dataflow).t),
      dataflow_(c.dataflow), buffer_(c.ofmap_sram_kb * 1024, c.bandwidth_calc ? c.array_width : c.bandwidth,
                                       c.compat == Compat::V3) {}

void OutputReplay::start_fold(long long fr, long long fc) {
  // ws/is drain a skewed T x C tile after 2R - 1 idle rows; os drains its R x C outputs (bottom row first) after
  // T - 1 rows, skewed.
  const long long vc = std::min(C_, (dataflow_ == Dataflow::IS ? P_ : N_) - fc * C_), vr = std::min(R_, P_ - fr * R_);
  counts_ = dataflow_ == Dataflow::OS ? RowCounts{T_ - 1 + R_ - vr, vc, vr, 1} : RowCounts{2 * R_ - 1, vc, T_, 1};
}

long long OutputReplay::quiet_end(long long tt, long long to, long long cycle) const {
  if (cycle < buffer_.drain_end()) to = std::min(to, tt + buffer_.drain_end() - cycle);
  return counts_.last_within(tt, to, std::max(0LL, buffer_.quiet_words(cycle)));
}

void OutputReplay::take_quiet_rows(long long tt, long long e, long long cycle) {
  const long long lo = std::max(tt, counts_.first()), hi = std::min(e, counts_.end());
  if (lo < hi) {
    sram_.mark(cycle + lo - tt);
    sram_.mark(cycle + hi - 1 - tt);
  }
  buffer_.add_quiet(counts_.before(e) - counts_.before(tt));
}

long long OutputReplay::service_row(long long tt, long long cycle) {
  const long long count = counts_.at(tt);
  const long long out = buffer_.service_row(cycle, count);
  if (count > 0) sram_.mark(out);
  return out;
}

void OutputReplay::finish(long long last_out, MemoryResult& m) {
  buffer_.empty_all(last_out);
  m.ofmap_dram_writes = buffer_.writes;
  m.ofmap_dram_start = buffer_.start;
  m.ofmap_dram_stop = buffer_.stop;
  m.ofmap_sram_start = static_cast<double>(std::max(0LL, sram_.start));
  m.ofmap_sram_stop = static_cast<double>(sram_.stop);
}

}  // namespace msim

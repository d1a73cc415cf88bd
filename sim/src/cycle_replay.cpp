#include "cycle_replay.h"

#include "replay_input.h"
#include "replay_output.h"

#include <algorithm>

namespace msim {
namespace {

// The three operands stepped through the folds, one demand row (one cycle plus its stalls) at a time.
class LayerReplay {
 public:
  LayerReplay(const Layer& l, const Config& c)
      : shortcuts_(c.bandwidth_calc && c.replay_shortcuts && !l.row_wise_block), ifmap_(l, c, Operand::Ifmap),
        filter_(l, c, Operand::Filter), ofmap_(l, c) {
    const long long R = c.array_height, C = c.array_width, T = map_layer(l, c.dataflow).t;
    fold_rows_ = c.dataflow == Dataflow::OS ? T + R + C - 2 : 2 * R + C + T - 2;
  }

  MemoryResult run() {
    const OperandSchedule& s = ifmap_.schedule();
    for (long long fc = 0; fc < s.col_folds(); ++fc) {
      for (long long fr = 0; fr < s.row_folds(); ++fr) replay_fold(fr, fc, fc * s.row_folds() + fr);
    }
    MemoryResult m;
    m.exact_reads = true;
    m.stall_cycles = stall_;
    ofmap_.finish(last_out_, m);
    m.total_cycles = last_out_;
    ifmap_.finish(m);
    filter_.finish(m);
    return m;
  }

 private:
  void replay_fold(long long fr, long long fc, long long f) {
    ifmap_.start_fold(fr, fc, f);
    filter_.start_fold(fr, fc, f);
    ofmap_.start_fold(fr, fc);
    for (long long tt = 0; tt < fold_rows_;) {
      const long long e = shortcuts_ ? quiet_rows_end(tt) : tt;
      if (e > tt) {
        take_quiet_rows(tt, e);
        tt = e;
      } else {
        replay_row(tt++);
      }
    }
    ifmap_.end_fold(f);
    filter_.end_fold(f);
  }

  // CALC shortcut: the rows from tt on in which no bulk operand's window slides and the write buffer neither
  // starts a drain, stalls nor finishes one have no stall and a known cycle each (the row's index plus the stalls
  // so far): bulk and settled operands and the writes are counted for all of them at once, operands read address
  // by address are walked in one tight loop.
  long long quiet_rows_end(long long tt) const {
    long long e = ifmap_.quiet_end(tt, fold_rows_);
    e = filter_.quiet_end(tt, e);
    return ofmap_.quiet_end(tt, e, row_ + stall_);
  }

  void take_quiet_rows(long long tt, long long e) {
    const long long cycle = row_ + stall_;
    ifmap_.take_quiet_rows(tt, e, cycle);
    filter_.take_quiet_rows(tt, e, cycle);
    ofmap_.take_quiet_rows(tt, e, cycle);
    last_out_ = cycle + e - 1 - tt;
    row_ += e - tt;
  }

  void replay_row(long long tt) {
    const long long cycle = row_ + stall_;
    const long long s_ifmap = ifmap_.service_row(tt, cycle), s_filter = filter_.service_row(tt, cycle);
    const long long out = ofmap_.service_row(tt, cycle);
    stall_ += std::max({s_ifmap, s_filter, out - cycle});
    last_out_ = out;
    ++row_;
  }

  const bool shortcuts_;
  long long fold_rows_ = 0;
  InputReplay ifmap_, filter_;
  OutputReplay ofmap_;
  long long stall_ = 0, row_ = 0, last_out_ = 0;
};

}  // namespace

MemoryResult replay_memory(const Layer& l, const Config& c) { return LayerReplay(l, c).run(); }

}  // namespace msim

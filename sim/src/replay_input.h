// One input operand (ifmap or filter) in the replay (cycle_replay.h): its demand rows (operand_schedule.h), its
// addresses (replay_addresses.h), its SCALE-Sim read buffer (USER: scalesim_buffers.h; CALC: prefetch_emu.h, with
// the shortcuts of all_miss.h and settled_folds.h) and the span of cycles in which it reads SRAM.
#pragma once

#include "memory.h"
#include "operand_schedule.h"
#include "prefetch_emu.h"
#include "replay_addresses.h"
#include "scalesim_buffers.h"
#include "settled_folds.h"

#include <functional>

namespace msim {

// The first and last cycle an operand's SRAM is accessed (start -1: never).
struct SramSpan {
  long long start = -1, stop = 0;
  void mark(long long cycle) {
    if (start < 0) start = cycle;
    stop = cycle;
  }
};

class InputReplay {
 public:
  InputReplay(const Layer& l, const Config& c, Operand operand);

  const OperandSchedule& schedule() const { return schedule_; }
  // Fold (fr, fc), number f in SCALE-Sim's order, starts / ends.
  void start_fold(long long fr, long long fc, long long f);
  void end_fold(long long f);
  // CALC shortcut: the largest e <= to such that demand rows [tt, e) do not slide a bulk operand's buffer window.
  long long quiet_end(long long tt, long long to) const;
  // Demand rows [tt, e), row u at cycle + u - tt, none stalling (CALC).
  void take_quiet_rows(long long tt, long long e, long long cycle);
  // Demand row tt at `cycle`; returns its stall.
  long long service_row(long long tt, long long cycle);
  // Its DRAM reads, DRAM and SRAM start/stop cycles and shortcut counts into m.
  void finish(MemoryResult& m);

 private:
  // v3's row-wise sparse ifmap (Layer::row_wise_block): demand row tt's addresses to emit; true if any.
  bool row_wise_ifmap_row(long long tt, const std::function<void(long long)>& emit) const;
  long long service_row_wise(long long tt, long long cycle);

  const Operand operand_;
  const OperandSchedule schedule_;
  const OperandAddresses addresses_;
  const bool user_;
  const long long row_wise_, R_, K_, P_;  // row_wise_: the ifmap's BlockSize on v3's row-wise array, else 0
  const bool bulk_;  // bulk: CALC, proved to miss on every access, counted per row (all_miss.h)
  buffers::ReadBuffer read_buffer_;  // USER (CALC: unused, empty)
  EstimateBwBuffer estimate_buffer_;   // CALC (USER: unused, empty)
  SettledFolds settled_;
  SramSpan sram_;
  long long fr_ = 0, fc_ = 0;
  RowCounts counts_;  // the current fold's demand per row
};

}  // namespace msim

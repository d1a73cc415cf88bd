// The ofmap in the replay (cycle_replay.h): the outputs each demand row writes, per dataflow, into SCALE-Sim's
// write buffer (scalesim_buffers.h), and the span of cycles in which it writes SRAM.
#pragma once

#include "memory.h"
#include "operand_schedule.h"
#include "replay_input.h"
#include "scalesim_buffers.h"

namespace msim {

class OutputReplay {
 public:
  OutputReplay(const Layer& l, const Config& c);

  void start_fold(long long fr, long long fc);
  // The largest e <= to such that rows [tt, e), from `cycle` on, neither start a drain nor stall nor see one end.
  long long quiet_end(long long tt, long long to, long long cycle) const;
  // Rows [tt, e) from `cycle` on, none of them stalling.
  void take_quiet_rows(long long tt, long long e, long long cycle);
  // Row tt's writes at `cycle`; returns the cycle they are serviced at.
  long long service_row(long long tt, long long cycle);
  // Drains what is left after the last row (serviced at last_out) and puts its numbers into m.
  void finish(long long last_out, MemoryResult& m);

 private:
  const long long R_, C_, P_, N_, T_;
  const Dataflow dataflow_;
  buffers::WriteBuffer buffer_;
  SramSpan sram_;
  RowCounts counts_;  // the current fold's writes per row
};

}  // namespace msim

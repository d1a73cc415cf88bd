#include "compute.h"

#include "scalesim_constants.h"
#include "sparsity.h"

namespace msim {

Mapping map_layer(long long ofmap_px, long long window, long long filters, Dataflow d) {
  switch (d) {
    case Dataflow::WS: return {window, filters, ofmap_px};   // filters stationary: K x N on the array
    case Dataflow::OS: return {ofmap_px, filters, window};   // outputs stationary: pixels x N
    case Dataflow::IS: return {window, ofmap_px, filters};   // inputs stationary: K x pixels
  }
  return {};
}

Mapping map_layer(const Layer& l, Dataflow d) { return map_layer(l.ofmap_px(), l.mapped_window(), l.filters, d); }

ComputeResult compute_mapping(const Mapping& m, const Config& c) {
  const long long r = c.array_height, col = c.array_width;
  ComputeResult out;
  out.row_fold = ceil_div(m.sr, r);
  out.col_fold = ceil_div(m.sc, col);
  const long long folds = out.row_fold * out.col_fold;
  // Rows of one fold's demand matrix (the cycles it takes) and the span SCALE-Sim divides utilization by.
  long long fold_cycles = 0, util_span = 0;
  switch (c.dataflow) {
    case Dataflow::WS:
    case Dataflow::IS:
      fold_cycles = 2 * r + col + m.t - 2;   // fill R rows, stream T, drain through R + C
      util_span = 2 * r + 2 * col + m.t - 3;
      break;
    case Dataflow::OS:
      fold_cycles = m.t + r + col - 2;       // stream T through the skew, drain
      util_span = fold_cycles;
      break;
  }
  out.cycles = folds * fold_cycles - 1;      // SCALE-Sim counts the last demand row as cycle folds*rows - 1
  const double used = static_cast<double>(m.sr) * static_cast<double>(m.sc);  // sum of used MACs over folds
  out.mapping_efficiency = 100.0 * used / (static_cast<double>(folds) * r * col);
  out.compute_util = 100.0 * used * m.t / (static_cast<double>(folds) * r * col * util_span);
  out.macs = m.sr * m.sc * m.t;
  switch (c.dataflow) {
    case Dataflow::WS:
      out.ifmap_sram_reads = out.col_fold * m.t * m.sr;
      out.filter_sram_reads = m.sr * m.sc;
      out.ofmap_sram_writes = m.t * m.sc * out.row_fold;  // partial sums leave once per row fold
      out.ofmap_elements_written = out.ofmap_sram_writes;
      break;
    case Dataflow::OS:
      out.ifmap_sram_reads = out.col_fold * m.sr * m.t;
      out.filter_sram_reads = out.row_fold * m.t * m.sc;
      // SCALE-Sim v2 also adds R + C per fold to its OFMAP SRAM write count (not to DRAM); kept for parity.
      out.ofmap_sram_writes = m.sr * m.sc + folds * (r + col);
      out.ofmap_elements_written = m.sr * m.sc;
      break;
    case Dataflow::IS:
      out.ifmap_sram_reads = m.sr * m.sc;
      out.filter_sram_reads = out.col_fold * m.t * m.sr;
      out.ofmap_sram_writes = m.t * m.sc * out.row_fold;
      out.ofmap_elements_written = out.ofmap_sram_writes;
      break;
  }
  return out;
}

ComputeResult compute_layer(const Layer& l, const Config& c) {
  ComputeResult r = compute_mapping(map_layer(l, c.dataflow), c);
  if (l.row_wise_block) row_wise_compute(l, c, l.ofmap_px(), r);  // v3's row-wise sparse array (sparsity.h)
  return r;
}

}  // namespace msim

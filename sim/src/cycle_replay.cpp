#include "cycle_replay.h"

#include "all_miss.h"
#include "operand_schedule.h"
#include "prefetch_emu.h"
#include "scalesim_buffers.h"
#include "scalesim_constants.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

namespace msim {
namespace {

using buffers::ReadBuffer;
using buffers::WriteBuffer;

// SCALE-Sim's operand-matrix addresses (operand_matrix.py), without the offsets.
struct Operands {
  long long K, N, P, H, W, Ch;
  std::vector<long long> k_row, k_col, k_off, p_row, p_col, p_base;  // p_base: a pixel's window origin address
  explicit Operands(const Layer& l)
      : K(l.window()), N(l.filters), P(l.ofmap_px()), H(l.ifmap_h), W(l.ifmap_w), Ch(l.channels) {
    k_row.resize(K);
    k_col.resize(K);
    k_off.resize(K);
    for (long long k = 0; k < K; ++k) {
      const long long cr = k / (l.filter_w * Ch), rem = k % (l.filter_w * Ch), cc = rem / Ch, ch = rem % Ch;
      k_row[k] = cr;
      k_col[k] = cc;
      k_off[k] = (cr * W + cc) * Ch + ch;
    }
    p_row.resize(P);
    p_col.resize(P);
    p_base.resize(P);
    for (long long p = 0; p < P; ++p) {
      p_row[p] = (p / l.ofmap_w()) * l.stride_h;
      p_col[p] = (p % l.ofmap_w()) * l.stride_w;
      p_base[p] = (p_row[p] * W + p_col[p]) * Ch;
    }
  }
  long long ifmap(long long p, long long k) const {  // -1: the window reaches past the ifmap edge
    if (p_row[p] + k_row[k] >= H || p_col[p] + k_col[k] >= W) return -1;
    return p_base[p] + k_off[k];
  }
};

}  // namespace

ReplayResult replay_memory(const Layer& l, const Config& c) {
  const long long R = c.array_height, C = c.array_width;
  const Operands op(l);
  const long long K = op.K, N = op.N, P = op.P;
  const OperandSchedule ifmap_s(l, c, Operand::Ifmap), filter_s(l, c, Operand::Filter);
  const long long row_fold = ifmap_s.row_folds(), col_fold = ifmap_s.col_folds(), T = map_layer(l, c.dataflow).t;
  const long long fold_rows = c.dataflow == Dataflow::OS ? T + R + C - 2 : 2 * R + C + T - 2;
  const bool user = !c.bandwidth_calc;
  const long long bw = user ? c.bandwidth : C;  // CALC: SCALE-Sim gives the write buffer ArrayWidth words/cycle
  const Dataflow df = c.dataflow;
  const long long ifmap_words = op.H * op.W * op.Ch;

  WriteBuffer ofmap_buf(c.ofmap_sram_kb * 1024, bw);
  // USER read buffers over SCALE-Sim's prefetch matrices (CALC: unused, empty).
  ReadBuffer ifmap_buf(user ? c.ifmap_sram_kb * 1024 : kBufferSets, bw, user ? ifmap_words : 0);
  ReadBuffer filter_buf(user ? c.filter_sram_kb * 1024 : kBufferSets, bw, user ? K * N : 0);
  if (user) {
    std::vector<int64_t> e;
    ifmap_s.walk_prefetch([&](long long p, long long k) { e.push_back(p < 0 ? -1 : op.ifmap(p, k)); });
    ifmap_buf.build(e);
    e.clear();
    filter_s.walk_prefetch([&](long long n, long long k) { e.push_back(n < 0 ? -1 : n * K + k); });
    filter_buf.build(e);
  }

  // CALC: an operand proved to miss on every access (all_miss.h) is counted per row, not replayed per address.
  const bool shortcuts = !user && c.replay_shortcuts;
  const bool ifmap_bulk = shortcuts && ifmap_all_miss(l, c);
  const bool filter_bulk = shortcuts && filter_all_miss(l, c);
  EstimateBwBuffer ifmap_est(user ? kBufferSets : c.ifmap_sram_kb * 1024, user || ifmap_bulk ? 0 : ifmap_words);
  EstimateBwBuffer filter_est(user ? kBufferSets : c.filter_sram_kb * 1024, user || filter_bulk ? 0 : K * N);
  // CALC, settled operands: fold f repeats the access sequence of an earlier fold g (same sequence id, the nearest
  // one); if no fold from g to f - 1 inserted anything, the buffer holds what it held at g, so f hits everywhere
  // as g did, and is skipped (only its demand counts remain). Exact for any operand; needs no -1 ifmap addresses
  // (then a row's count says whether it demands anything).
  struct Settle {
    std::vector<long long> prev_same;  // per fold: the nearest earlier fold with the same sequence id, -1: none
    long long last_inserting = -1, inserted_before = 0, skipped = 0;
    bool skip = false;
  };
  auto settle_for = [&](const std::vector<FoldBlock>& folds) {
    Settle st;
    st.prev_same.assign(folds.size(), -1);
    std::map<long long, long long> last;
    for (size_t f = 0; f < folds.size(); ++f) {
      auto it = last.find(folds[f].sequence);
      if (it != last.end()) st.prev_same[f] = it->second;
      last[folds[f].sequence] = static_cast<long long>(f);
    }
    return st;
  };
  const bool ifmap_in_bounds = l.windows_in_bounds();
  Settle ifmap_settle, filter_settle;
  if (shortcuts && !ifmap_bulk && ifmap_in_bounds) ifmap_settle = settle_for(ifmap_s.folds());
  if (shortcuts && !filter_bulk) filter_settle = settle_for(filter_s.folds());
  auto fold_start = [](Settle& st, long long f, const EstimateBwBuffer& est) {
    if (st.prev_same.empty()) return;
    const long long g = st.prev_same[static_cast<size_t>(f)];
    st.skip = g >= 0 && g > st.last_inserting;
    st.skipped += st.skip;
    st.inserted_before = est.inserted();
  };
  auto fold_end = [](Settle& st, long long f, const EstimateBwBuffer& est) {
    if (!st.prev_same.empty() && est.inserted() != st.inserted_before) st.last_inserting = f;
  };
  ReplayResult res;
  res.ifmap_bulk = ifmap_bulk;
  res.filter_bulk = filter_bulk;
  long long stall = 0, row = 0, last_out = 0;
  long long ifmap_sram_start = -1, ifmap_sram_stop = 0, filter_sram_start = -1, filter_sram_stop = 0;
  long long ofmap_sram_start = -1, ofmap_sram_stop = 0;
  const long long* base = op.p_base.data();
  const long long* off = op.k_off.data();
  for (long long fc = 0; fc < col_fold; ++fc) {
    for (long long fr = 0; fr < row_fold; ++fr) {
      fold_start(ifmap_settle, fc * row_fold + fr, ifmap_est);
      fold_start(filter_settle, fc * row_fold + fr, filter_est);
      const RowCounts ic = ifmap_s.counts(fr, fc), fcn = filter_s.counts(fr, fc);
      // OFMAP writes per row: ws/is drain a skewed T x C tile after 2R - 1 idle rows; os drains its R x C outputs
      // (bottom row first) after T - 1 rows, skewed.
      const long long vc = std::min(C, (df == Dataflow::IS ? P : N) - fc * C), vr = std::min(R, P - fr * R);
      const RowCounts oc = df == Dataflow::OS ? RowCounts{T - 1 + R - vr, vc, vr, 1} : RowCounts{2 * R - 1, vc, T, 1};
      const bool ifmap_by_address = !ifmap_bulk && !ifmap_settle.skip, filter_by_address = !filter_bulk && !filter_settle.skip;
      // CALC shortcut: the rows from tt on in which no bulk operand's window slides and the write buffer neither
      // starts a drain, stalls nor finishes one have no stall and a known cycle each (the row's index plus the
      // stalls so far): bulk and settled operands and the writes are counted for all of them at once, operands read
      // address by address are walked in one tight loop.
      auto quiet_rows_end = [&](long long tt) {
        long long e = fold_rows;
        if (ifmap_bulk) e = ic.last_within(tt, e, ifmap_est.insertions_before_slide() - 1);
        if (filter_bulk) e = fcn.last_within(tt, e, filter_est.insertions_before_slide() - 1);
        const long long cycle = row + stall;
        if (cycle < ofmap_buf.drain_end()) e = std::min(e, tt + ofmap_buf.drain_end() - cycle);
        return oc.last_within(tt, e, std::max(0LL, ofmap_buf.quiet_words(cycle)));
      };
      auto take_quiet_rows = [&](long long tt, long long e) {
        const long long cycle = row + stall;
        auto demanded = [&](const RowCounts& rc, long long& start, long long& stop, long long latency) {
          const long long lo = std::max(tt, rc.first()), hi = std::min(e, rc.end());
          if (lo >= hi) return lo;
          if (start < 0) start = cycle + lo - tt + latency;
          stop = cycle + hi - 1 - tt + latency;
          return lo;
        };
        // Rows with a valid address demand the operand (its SRAM start/stop: serviced at cycle + 1).
        auto walk = [&](const OperandSchedule& sched, const RowCounts& rc, EstimateBwBuffer& est, long long& start,
                        long long& stop, auto address) {
          for (long long u = std::max(tt, rc.first()), hi = std::min(e, rc.end()); u < hi; ++u) {
            const RowAccess a = sched.row(fr, fc, u);
            const long long at = cycle + u - tt;
            bool any = false;
            for (long long j = a.lo; j <= a.hi; ++j) {
              const long long addr = address(a.row(j), a.k(j));
              if (addr < 0) continue;
              any = true;
              est.access(at, addr);
            }
            if (any) {
              if (start < 0) start = at + 1;
              stop = at + 1;
            }
          }
        };
        if (!ifmap_by_address) {
          const long long first = demanded(ic, ifmap_sram_start, ifmap_sram_stop, 1);
          if (ifmap_bulk) ifmap_est.bulk_misses(cycle + first - tt, ic.before(e) - ic.before(tt));
        } else if (ifmap_in_bounds) {
          walk(ifmap_s, ic, ifmap_est, ifmap_sram_start, ifmap_sram_stop,
               [&](long long p, long long k) { return base[p] + off[k]; });
        } else {
          walk(ifmap_s, ic, ifmap_est, ifmap_sram_start, ifmap_sram_stop,
               [&](long long p, long long k) { return op.ifmap(p, k); });
        }
        if (!filter_by_address) {
          const long long first = demanded(fcn, filter_sram_start, filter_sram_stop, 1);
          if (filter_bulk) filter_est.bulk_misses(cycle + first - tt, fcn.before(e) - fcn.before(tt));
        } else {
          walk(filter_s, fcn, filter_est, filter_sram_start, filter_sram_stop,
               [&](long long n, long long k) { return n * K + k; });
        }
        demanded(oc, ofmap_sram_start, ofmap_sram_stop, 0);
        ofmap_buf.add_quiet(oc.before(e) - oc.before(tt));
        last_out = cycle + e - 1 - tt;
        row += e - tt;
      };
      for (long long tt = 0; tt < fold_rows; ++tt, ++row) {
        if (shortcuts) {
          const long long e = quiet_rows_end(tt);
          if (e > tt) {
            take_quiet_rows(tt, e);
            tt = e - 1;
            --row;  // (the loop's increments)
            continue;
          }
        }
        const long long cycle = row + stall;
        const RowAccess ia = ifmap_s.row(fr, fc, tt), fa = filter_s.row(fr, fc, tt);
        long long s_ifmap = 0, s_filter = 0;
        // Without -1 addresses (windows inside the ifmap) a row demands data exactly when it has elements.
        bool ifmap_valid = ifmap_in_bounds && ia.count() > 0;
        const bool filter_valid = fa.count() > 0;
        if (user) {
          s_ifmap = ifmap_buf.service_row(cycle, [&](auto emit) {
            for (long long j = ia.lo; j <= ia.hi; ++j) {
              const long long a = op.ifmap(ia.row(j), ia.k(j));
              ifmap_valid |= a >= 0;
              emit(a);
            }
          });
          s_filter = filter_buf.service_row(cycle, [&](auto emit) {
            for (long long j = fa.lo; j <= fa.hi; ++j) emit(fa.row(j) * K + fa.k(j));
          });
        } else {
          if (ifmap_bulk) {
            ifmap_est.bulk_misses(cycle, ia.count());
          } else if (ifmap_in_bounds && !ifmap_settle.skip) {  // pixel base + window offset, straight in
            for (long long j = ia.lo; j <= ia.hi; ++j) ifmap_est.access(cycle, base[ia.row(j)] + off[ia.k(j)]);
          } else if (!ifmap_in_bounds) {  // (never settled: see settle_for)
            for (long long j = ia.lo; j <= ia.hi; ++j) {
              const long long a = op.ifmap(ia.row(j), ia.k(j));
              if (a < 0) continue;
              ifmap_valid = true;
              ifmap_est.access(cycle, a);
            }
          }
          if (filter_bulk) {
            filter_est.bulk_misses(cycle, fa.count());
          } else if (!filter_settle.skip) {  // address n K + k
            for (long long j = fa.lo; j <= fa.hi; ++j) filter_est.access(cycle, fa.row(j) * K + fa.k(j));
          }
        }
        // SRAM start/stop: the serviced cycle (request + hit latency 1 + stalls) of the first/last demanding row.
        if (ifmap_valid) {
          if (ifmap_sram_start < 0) ifmap_sram_start = cycle + 1 + s_ifmap;
          ifmap_sram_stop = cycle + 1 + s_ifmap;
        }
        if (filter_valid) {
          if (filter_sram_start < 0) filter_sram_start = cycle + 1 + s_filter;
          filter_sram_stop = cycle + 1 + s_filter;
        }
        const long long count = oc.at(tt);
        const long long out = ofmap_buf.service_row(cycle, count);
        if (count > 0) {
          if (ofmap_sram_start < 0) ofmap_sram_start = out;
          ofmap_sram_stop = out;
        }
        stall += std::max({s_ifmap, s_filter, out - cycle});
        last_out = out;
      }
      fold_end(ifmap_settle, fc * row_fold + fr, ifmap_est);
      fold_end(filter_settle, fc * row_fold + fr, filter_est);
    }
  }
  res.ifmap_sram_start = static_cast<double>(ifmap_sram_start);
  res.ifmap_sram_stop = static_cast<double>(ifmap_sram_stop);
  res.filter_sram_start = static_cast<double>(filter_sram_start);
  res.filter_sram_stop = static_cast<double>(filter_sram_stop);
  res.ofmap_sram_start = static_cast<double>(ofmap_sram_start);
  res.ofmap_sram_stop = static_cast<double>(ofmap_sram_stop);
  res.ifmap_settled_folds = ifmap_settle.skipped;
  res.filter_settled_folds = filter_settle.skipped;
  ofmap_buf.empty_all(last_out);
  res.stall_cycles = stall;
  res.total_cycles = last_out;
  res.ofmap_dram_writes = ofmap_buf.writes;
  res.ofmap_start = ofmap_buf.start;
  res.ofmap_stop = ofmap_buf.stop;
  if (!user) {
    const PrefetchResult fi = ifmap_est.finish(), ff = filter_est.finish();
    res.ifmap_dram_reads = fi.dram_reads;
    res.ifmap_start = fi.start_cycle;
    res.ifmap_stop = fi.stop_cycle;
    res.filter_dram_reads = ff.dram_reads;
    res.filter_start = ff.start_cycle;
    res.filter_stop = ff.stop_cycle;
  } else {
    res.ifmap_dram_reads = ifmap_buf.reads;
    res.filter_dram_reads = filter_buf.reads;
    res.ifmap_start = ifmap_buf.start;
    res.ifmap_stop = ifmap_buf.stop;
    res.filter_start = filter_buf.start;
    res.filter_stop = filter_buf.stop;
  }
  return res;
}

}  // namespace msim

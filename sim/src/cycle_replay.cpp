#include "cycle_replay.h"

#include "all_miss.h"
#include "prefetch_emu.h"
#include "scalesim_buffers.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

namespace msim {
namespace {

using buffers::ceil_div;
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
      p_row[p] = (p / l.ofmap_w()) * l.stride;
      p_col[p] = (p % l.ofmap_w()) * l.stride;
      p_base[p] = (p_row[p] * W + p_col[p]) * Ch;
    }
  }
  long long ifmap(long long p, long long k) const {
    if (p_row[p] + k_row[k] >= H || p_col[p] + k_col[k] >= W) return -1;
    return (p_row[p] * W + p_col[p]) * Ch + k_off[k];
  }
  long long filter(long long k, long long n) const { return n * K + k; }
};

// A stacked prefetch matrix (M x cols), read row-major or "rolled out" along anti-diagonals as SCALE-Sim does.
template <class Entry, class Out>
void walk_matrix(long long M, long long cols, bool rolled, Entry entry, Out out) {
  if (!rolled) {
    for (long long r = 0; r < M; ++r)
      for (long long c = 0; c < cols; ++c) out(entry(r, c));
    return;
  }
  for (long long d = 0; d < M + cols; ++d) {
    const long long hi = std::min(d, M - 1), lo = std::max(0LL, d - cols + 1);
    for (long long r = hi; r >= lo; --r) out(entry(r, d - r));
  }
}

}  // namespace

ReplayResult replay_memory(const Layer& l, const Config& c) {
  const long long R = c.array_height, C = c.array_width;
  const Operands op(l);
  const long long K = op.K, N = op.N, P = op.P;
  const Mapping m = map_layer(l, c.dataflow);
  const long long row_fold = ceil_div(m.sr, R), col_fold = ceil_div(m.sc, C), T = m.t;
  const long long fold_rows = c.dataflow == Dataflow::OS ? T + R + C - 2 : 2 * R + C + T - 2;
  const bool user = !c.bandwidth_calc;
  const long long bw = user ? c.bandwidth : C;  // CALC: SCALE-Sim gives the write buffer ArrayWidth words/cycle
  const Dataflow df = c.dataflow;

  WriteBuffer ofmap_buf(c.ofmap_sram_kb * 1024, bw);
  ReadBuffer ifmap_buf(user ? c.ifmap_sram_kb * 1024 : 100, bw, user ? op.H * op.W * op.Ch : 0);
  ReadBuffer filter_buf(user ? c.filter_sram_kb * 1024 : 100, bw, user ? K * N : 0);
  if (user) {
    std::vector<int64_t> e;
    auto push = [&](long long a) { e.push_back(a); };
    // The prefetch matrices of systolic_compute_{ws,os,is}.py.
    switch (df) {
      case Dataflow::WS:
        walk_matrix(row_fold * T, R, true, [&](long long r, long long j) {
          const long long k = (r / T) * R + j;
          return k < K ? op.ifmap(r % T, k) : -1;
        }, push);
        break;
      case Dataflow::OS:
        walk_matrix(row_fold * T, R, true, [&](long long r, long long j) {
          const long long p = (r / T) * R + j;
          return p < P ? op.ifmap(p, r % T) : -1;
        }, push);
        break;
      case Dataflow::IS:
        walk_matrix(col_fold * K, C, false, [&](long long r, long long j) {
          const long long p = (r / K) * C + j;
          return p < P ? op.ifmap(p, r % K) : -1;
        }, push);
        break;
    }
    ifmap_buf.build(e);
    e.clear();
    switch (df) {
      case Dataflow::WS:
        walk_matrix(col_fold * K, C, false, [&](long long r, long long j) {
          const long long n = (r / K) * C + j;
          return n < N ? op.filter(r % K, n) : -1;
        }, push);
        break;
      case Dataflow::OS:
        walk_matrix(col_fold * T, C, true, [&](long long r, long long j) {
          const long long n = (r / T) * C + j;
          return n < N ? op.filter(r % T, n) : -1;
        }, push);
        break;
      case Dataflow::IS:
        walk_matrix(row_fold * T, R, true, [&](long long r, long long j) {
          const long long k = (r / T) * R + j;
          return k < K ? op.filter(k, r % T) : -1;
        }, push);
        break;
    }
    filter_buf.build(e);
  }

  // CALC: an operand proved to miss on every access (all_miss.h) is counted per row, not replayed per address.
  const bool shortcuts = !user && c.replay_shortcuts;
  const bool ifmap_bulk = shortcuts && ifmap_all_miss(l, c);
  const bool filter_bulk = shortcuts && filter_all_miss(l, c);
  EstimateBwBuffer ifmap_est(user ? 100 : c.ifmap_sram_kb * 1024, user || ifmap_bulk ? 0 : op.H * op.W * op.Ch);
  EstimateBwBuffer filter_est(user ? 100 : c.filter_sram_kb * 1024, user || filter_bulk ? 0 : K * N);
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
  const bool ifmap_in_bounds = (l.ofmap_h() - 1) * l.stride + l.filter_h <= l.ifmap_h &&
                               (l.ofmap_w() - 1) * l.stride + l.filter_w <= l.ifmap_w;
  Settle ifmap_settle, filter_settle;
  if (shortcuts && !ifmap_bulk && ifmap_in_bounds) ifmap_settle = settle_for(ifmap_folds(l, c));
  if (shortcuts && !filter_bulk) filter_settle = settle_for(filter_folds(l, c));
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
  for (long long fc = 0; fc < col_fold; ++fc) {
    for (long long fr = 0; fr < row_fold; ++fr) {
      fold_start(ifmap_settle, fc * row_fold + fr, ifmap_est);
      fold_start(filter_settle, fc * row_fold + fr, filter_est);
      // The number of addresses gen_ifmap / gen_filter (below) emit in row tt of this fold, in closed form (every
      // one valid: the shortcuts need windows inside the ifmap).
      const long long k_last = std::min(R - 1, K - 1 - fr * R);  // last array row holding a K index
      const long long p_last = std::min(R - 1, P - 1 - fr * R);  // os: last array row holding a pixel
      const long long c_ifmap = std::min(C, P - fc * C), c_filter = std::min(C, N - fc * C);
      auto span = [](long long lo, long long hi) { return hi >= lo ? hi - lo + 1 : 0; };
      auto count_ifmap = [&](long long tt) -> long long {
        switch (df) {
          case Dataflow::WS: return span(std::max(0LL, tt - R - T + 1), std::min(k_last, tt - R));
          case Dataflow::OS: return span(std::max(0LL, tt - T + 1), std::min(p_last, tt));
          default: return tt < R && R - 1 - tt <= k_last ? c_ifmap : 0;
        }
      };
      auto count_filter = [&](long long tt) -> long long {
        switch (df) {
          case Dataflow::WS: return tt < R && R - 1 - tt <= k_last ? c_filter : 0;
          case Dataflow::OS: return span(std::max(0LL, tt - T + 1), std::min(c_filter - 1, tt));
          default: return span(std::max(0LL, tt - R - T + 1), std::min(k_last, tt - R));
        }
      };
      for (long long tt = 0; tt < fold_rows; ++tt, ++row) {
        const long long cycle = row + stall;
        long long s_ifmap = 0, s_filter = 0, lo = 0, hi = -1;
        auto gen_ifmap = [&](auto emit) {
          if (df == Dataflow::WS) {
            for (long long j = std::max(0LL, tt - R - T + 1); j <= std::min(R - 1, tt - R); ++j)
              if (fr * R + j < K) emit(op.ifmap(tt - j - R, fr * R + j));
          } else if (df == Dataflow::OS) {
            for (long long j = std::max(0LL, tt - T + 1); j <= std::min(R - 1, tt); ++j)
              if (fr * R + j < P) emit(op.ifmap(fr * R + j, tt - j));
          } else if (tt < R && fr * R + R - 1 - tt < K) {
            for (long long j = 0; j < C && fc * C + j < P; ++j) emit(op.ifmap(fc * C + j, fr * R + R - 1 - tt));
          }
        };
        auto gen_filter = [&](auto emit) {
          if (df == Dataflow::WS) {
            if (tt < R && fr * R + R - 1 - tt < K)
              for (long long j = 0; j < C && fc * C + j < N; ++j) emit(op.filter(fr * R + R - 1 - tt, fc * C + j));
          } else if (df == Dataflow::OS) {
            for (long long j = std::max(0LL, tt - T + 1); j <= std::min(C - 1, tt); ++j)
              if (fc * C + j < N) emit(op.filter(tt - j, fc * C + j));
          } else {
            for (long long j = std::max(0LL, tt - R - T + 1); j <= std::min(R - 1, tt - R); ++j)
              if (fr * R + j < K) emit(op.filter(fr * R + j, tt - j - R));
          }
        };
        bool ifmap_valid = false, filter_valid = false;
        if (user) {
          s_ifmap = ifmap_buf.service_row(cycle, [&](auto emit) {
            gen_ifmap([&](long long a) { ifmap_valid |= a >= 0; emit(a); });
          });
          s_filter = filter_buf.service_row(cycle, [&](auto emit) {
            gen_filter([&](long long a) { filter_valid |= a >= 0; emit(a); });
          });
        } else {
          if (ifmap_bulk) {
            const long long n = count_ifmap(tt);
            ifmap_valid = n > 0;
            ifmap_est.bulk_misses(cycle, n);
          } else if (ifmap_settle.skip) {
            ifmap_valid = count_ifmap(tt) > 0;
          } else if (shortcuts && ifmap_in_bounds) {  // no -1 addresses: pixel base + window offset, straight to the buffer
            const long long* base = op.p_base.data();
            const long long* off = op.k_off.data();
            long long lo = 0, hi = -1;
            switch (df) {
              case Dataflow::WS:
                lo = std::max(0LL, tt - R - T + 1);
                hi = std::min(k_last, tt - R);
                for (long long j = lo; j <= hi; ++j) ifmap_est.access(cycle, base[tt - j - R] + off[fr * R + j]);
                break;
              case Dataflow::OS:
                lo = std::max(0LL, tt - T + 1);
                hi = std::min(p_last, tt);
                for (long long j = lo; j <= hi; ++j) ifmap_est.access(cycle, base[fr * R + j] + off[tt - j]);
                break;
              case Dataflow::IS:
                if (tt < R && R - 1 - tt <= k_last) {
                  hi = c_ifmap - 1;
                  const long long o = off[fr * R + R - 1 - tt];
                  for (long long j = 0; j <= hi; ++j) ifmap_est.access(cycle, base[fc * C + j] + o);
                }
                break;
            }
            ifmap_valid = hi >= lo;
          } else {
            gen_ifmap([&](long long a) {
              if (a < 0) return;
              ifmap_valid = true;
              ifmap_est.access(cycle, a);
            });
          }
          if (filter_bulk) {
            const long long n = count_filter(tt);
            filter_valid = n > 0;
            filter_est.bulk_misses(cycle, n);
          } else if (filter_settle.skip) {
            filter_valid = count_filter(tt) > 0;
          } else if (shortcuts) {  // address n K + k, straight to the buffer
            long long lo = 0, hi = -1;
            switch (df) {
              case Dataflow::WS:
                if (tt < R && R - 1 - tt <= k_last) {
                  hi = c_filter - 1;
                  const long long k = fr * R + R - 1 - tt;
                  for (long long j = 0; j <= hi; ++j) filter_est.access(cycle, (fc * C + j) * K + k);
                }
                break;
              case Dataflow::OS:
                lo = std::max(0LL, tt - T + 1);
                hi = std::min(c_filter - 1, tt);
                for (long long j = lo; j <= hi; ++j) filter_est.access(cycle, (fc * C + j) * K + tt - j);
                break;
              case Dataflow::IS:
                lo = std::max(0LL, tt - R - T + 1);
                hi = std::min(k_last, tt - R);
                for (long long j = lo; j <= hi; ++j) filter_est.access(cycle, (tt - j - R) * K + fr * R + j);
                break;
            }
            filter_valid = hi >= lo;
          } else {
            gen_filter([&](long long a) {
              filter_valid = true;
              filter_est.access(cycle, a);
            });
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
        // OFMAP writes of this row: ws/is drain a skewed T x C tile after 2R - 1 idle rows; os drains its R x C
        // outputs (bottom row first) after T - 1 rows, skewed.
        if (df == Dataflow::OS) {
          const long long vc = std::min(C, N - fc * C), vr = std::min(R, P - fr * R);
          lo = std::max(0LL, tt - (T - 2 + R));
          hi = std::min(vc - 1, tt - (T - 1 + R - vr));
        } else {
          const long long vc = std::min(C, (df == Dataflow::WS ? N : P) - fc * C);
          lo = std::max(0LL, tt - 2 * R + 2 - T);
          hi = std::min(vc - 1, tt - 2 * R + 1);
        }
        const long long count = std::max(0LL, hi - lo + 1);
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

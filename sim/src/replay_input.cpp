#include "replay_input.h"

#include "all_miss.h"
#include "layout.h"
#include "scalesim_constants.h"

#include <algorithm>
#include <cstdint>
#include <functional>

namespace msim {
namespace {

long long sram_words(const Config& c, Operand operand) {
  return (operand == Operand::Ifmap ? c.ifmap_sram_kb : c.filter_sram_kb) * 1024;
}

bool proved_all_miss(const Layer& l, const Config& c, Operand operand) {
  if (!c.bandwidth_calc || !c.replay_shortcuts) return false;
  return operand == Operand::Ifmap ? ifmap_all_miss(l, c) : filter_all_miss(l, c);
}

// Where an operand's numbers go in MemoryResult.
struct InputFields {
  long long MemoryResult::*dram_reads;
  double MemoryResult::*dram_start, MemoryResult::*dram_stop, MemoryResult::*sram_start, MemoryResult::*sram_stop;
  bool MemoryResult::*bulk;
  long long MemoryResult::*settled_folds;
};
constexpr InputFields kIfmapFields{&MemoryResult::ifmap_dram_reads,  &MemoryResult::ifmap_dram_start,
                                   &MemoryResult::ifmap_dram_stop,   &MemoryResult::ifmap_sram_start,
                                   &MemoryResult::ifmap_sram_stop,   &MemoryResult::ifmap_bulk,
                                   &MemoryResult::ifmap_settled_folds};
constexpr InputFields kFilterFields{&MemoryResult::filter_dram_reads, &MemoryResult::filter_dram_start,
                                    &MemoryResult::filter_dram_stop,  &MemoryResult::filter_sram_start,
                                    &MemoryResult::filter_sram_stop,  &MemoryResult::filter_bulk,
                                    &MemoryResult::filter_settled_folds};

}  // namespace

InputReplay::InputReplay(const Layer& l, const Config& c, Operand operand)
    : operand_(operand), schedule_(l, c, operand), addresses_(l, operand), user_(!c.bandwidth_calc),
      row_wise_(operand == Operand::Ifmap ? l.row_wise_block : 0), R_(c.array_height), K_(l.window()),
      P_(l.ofmap_px()),
      bulk_(proved_all_miss(l, c, operand)),
      // USER: bandwidth-sized prefetches over SCALE-Sim's prefetch matrix.
      read_buffer_(user_ ? sram_words(c, operand) : kBufferSets,
                   user_ ? (operand == Operand::Ifmap ? c.ifmap_bandwidth : c.filter_bandwidth) : c.array_width,
                   user_ ? addresses_.words() : 0, c.compat == Compat::V3),
      estimate_buffer_(user_ ? kBufferSets : sram_words(c, operand), user_ || bulk_ ? 0 : addresses_.words()) {
  const OperandBanks& banks = operand == Operand::Ifmap ? c.ifmap_banks : c.filter_banks;
  if (user_ && banks.custom_layout && l.layout) {
    // v3's custom layout: the SRAM holds the operand in the layout's order, in banked lines (layout.h).
    read_buffer_.use_banks(buffers::BankModel{banks.banks, banks.ports,
                                              operand == Operand::Ifmap ? c.ifmap_offset : c.filter_offset});
    read_buffer_.build(layout_order(l, operand));
  } else if (user_) {
    std::vector<int64_t> entries;
    // A row-wise layer's ifmap is prefetched as the dense layer's (systolic_compute_ws.py keeps its prefetch matrix).
    Layer dense = l;
    dense.sparse = false;
    dense.row_wise_block = 0;
    (row_wise_ ? OperandSchedule(dense, c, operand) : schedule_).walk_prefetch([&](long long row, long long k) {
      entries.push_back(row < 0 ? -1 : addresses_.at(row, k));
    });
    read_buffer_.build(entries);
  }
  if (!user_ && c.replay_shortcuts && !bulk_ && addresses_.in_bounds() && !row_wise_) {
    settled_ = SettledFolds(schedule_.folds());
  }
}

bool InputReplay::row_wise_ifmap_row(long long tt, const std::function<void(long long)>& emit) const {
  // After R fill rows, array row j reads pixel t - j's block of B window indices fr 2R + (j / (B / 2)) B ..
  // (skew_matrix_row_sparsity: 2R columns cut into blocks, each repeated B / 2 times); past K: nothing.
  const long long t = tt - R_, half = row_wise_ / 2;
  bool any = false;
  for (long long j = 0; j < R_; ++j) {
    const long long p = t - j;
    if (p < 0 || p >= P_) continue;
    const long long first = fr_ * 2 * R_ + j / half * row_wise_;
    for (long long k = first; k < std::min(first + row_wise_, K_); ++k) {
      const long long addr = addresses_.at(p, k);
      if (addr < 0) continue;
      any = true;
      emit(addr);
    }
  }
  return any;
}

void InputReplay::start_fold(long long fr, long long fc, long long f) {
  fr_ = fr;
  fc_ = fc;
  counts_ = schedule_.counts(fr, fc);
  settled_.start_fold(f, estimate_buffer_.inserted());
}

void InputReplay::end_fold(long long f) { settled_.end_fold(f, estimate_buffer_.inserted()); }

long long InputReplay::quiet_end(long long tt, long long to) const {
  return bulk_ ? counts_.last_within(tt, to, estimate_buffer_.insertions_before_slide() - 1) : to;
}

void InputReplay::take_quiet_rows(long long tt, long long e, long long cycle) {
  const long long lo = std::max(tt, counts_.first()), hi = std::min(e, counts_.end());
  if (bulk_ || settled_.skip()) {
    // Every row with elements demands (bulk and settled operands have no -1 addresses), serviced at cycle + 1.
    if (lo < hi) {
      sram_.mark(cycle + lo - tt + 1);
      sram_.mark(cycle + hi - 1 - tt + 1);
    }
    if (bulk_) estimate_buffer_.bulk_misses(cycle + lo - tt, counts_.before(e) - counts_.before(tt));
    return;
  }
  for (long long u = lo; u < hi; ++u) {
    const long long at = cycle + u - tt;
    const bool any = addresses_.for_each(schedule_.row(fr_, fc_, u),
                                         [&](long long addr) { estimate_buffer_.access(at, addr); });
    if (any) sram_.mark(at + 1);
  }
}

long long InputReplay::service_row(long long tt, long long cycle) {
  if (row_wise_) return service_row_wise(tt, cycle);
  const RowAccess a = schedule_.row(fr_, fc_, tt);
  // Bulk and settled operands have no -1 addresses: a row demands data exactly when it has elements.
  bool demands = addresses_.in_bounds() && a.count() > 0;
  long long stall = 0;
  if (user_) {
    stall = read_buffer_.service_row(cycle, [&](auto emit) { demands = addresses_.for_each(a, emit); });
  } else if (bulk_) {
    estimate_buffer_.bulk_misses(cycle, a.count());
  } else if (!settled_.skip()) {
    demands = addresses_.for_each(a, [&](long long addr) { estimate_buffer_.access(cycle, addr); });
  }
  // SRAM start/stop: the serviced cycle (request + hit latency 1 + stalls) of the first/last demanding row.
  if (demands) sram_.mark(cycle + 1 + stall);
  return stall;
}

long long InputReplay::service_row_wise(long long tt, long long cycle) {
  bool demands = false;
  long long stall = 0;
  if (user_) {
    stall = read_buffer_.service_row(cycle, [&](auto emit) { demands = row_wise_ifmap_row(tt, emit); });
  } else {
    demands = row_wise_ifmap_row(tt, [&](long long addr) { estimate_buffer_.access(cycle, addr); });
  }
  if (demands) sram_.mark(cycle + 1 + stall);
  return stall;
}

void InputReplay::finish(MemoryResult& m) {
  const InputFields& to = operand_ == Operand::Ifmap ? kIfmapFields : kFilterFields;
  if (user_) {
    m.*to.dram_reads = read_buffer_.reads;
    m.*to.dram_start = read_buffer_.start;
    m.*to.dram_stop = read_buffer_.stop;
  } else {
    const PrefetchResult p = estimate_buffer_.finish();
    m.*to.dram_reads = p.dram_reads;
    m.*to.dram_start = p.start_cycle;
    m.*to.dram_stop = p.stop_cycle;
  }
  m.*to.sram_start = static_cast<double>(std::max(0LL, sram_.start));
  m.*to.sram_stop = static_cast<double>(sram_.stop);
  m.*to.bulk = bulk_;
  m.*to.settled_folds = settled_.skipped();
}

}  // namespace msim

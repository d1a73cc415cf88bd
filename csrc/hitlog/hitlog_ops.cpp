// The hit log as registered ops, so Python, TorchScript and C++ read it the same way.
// CONSERVATIVE alias analysis keeps TorchScript from removing calls whose outputs are unused.
#include "csrc/hitlog/hitlog.h"

#include <torch/library.h>
#include <ATen/ATen.h>

namespace mercury {
namespace hitlog {
namespace {

// Column order of hitlog_table(); mercury/hitlog.py names them. Rows from record index `start` on.
at::Tensor table(int64_t start) {
  TORCH_CHECK(start >= 0, "hitlog_table: start must be >= 0, got ", start);
  const std::vector<Record> records = HitLog::instance().snapshot(start);
  constexpr int64_t kColumns = 27;
  at::Tensor t = at::empty({static_cast<int64_t>(records.size()), kColumns}, at::kLong);
  int64_t* p = t.data_ptr<int64_t>();
  for (const Record& r : records) {
    const int64_t row[kColumns] = {r.seq, r.layer_id, r.call, r.n, r.c, r.h, r.w, r.out_channels,
                                   r.kernel_h, r.kernel_w, r.out_h, r.out_w, r.groups, r.stride_h,
                                   r.stride_w, r.pad_h, r.pad_w, r.dilation_h, r.dilation_w, r.vectors,
                                   r.sig_bits, r.hits, r.misses, r.mode == "reuse" ? 1 : 0,
                                   r.vector == "channel" ? 1 : 0, r.signature == "e2lsh" ? 1 : r.signature == "svd" ? 2 : 0,
                                   r.hitmap.empty() ? 0 : 1};
    std::copy(row, row + kColumns, p);
    p += kColumns;
  }
  return t;
}

at::Tensor hitmap(int64_t index) {
  const std::vector<Record> records = HitLog::instance().snapshot();
  TORCH_CHECK(index >= 0 && index < static_cast<int64_t>(records.size()),
              "hitlog_hitmap: record index ", index, " out of range [0, ", records.size(), ")");
  const std::vector<uint8_t>& map = records[index].hitmap;
  at::Tensor t = at::empty({static_cast<int64_t>(map.size())}, at::kByte);
  std::copy(map.begin(), map.end(), t.data_ptr<uint8_t>());
  return t.to(at::kBool);
}

at::Tensor overflow_table() {
  const auto dropped = HitLog::instance().overflow();
  at::Tensor t = at::empty({static_cast<int64_t>(dropped.size()), 5}, at::kLong);
  int64_t* p = t.data_ptr<int64_t>();
  for (const auto& kv : dropped) {
    *p++ = kv.first;
    *p++ = kv.second.calls;
    *p++ = kv.second.hits;
    *p++ = kv.second.misses;
    *p++ = kv.second.vectors;
  }
  return t;
}

std::vector<int64_t> stats() {
  const Stats s = HitLog::instance().stats();
  return {s.stored, s.dropped_calls, s.dropped_hitmaps, s.record_capacity, s.hitmap_bytes,
          s.hitmap_byte_capacity};
}

void reset() { HitLog::instance().reset(); }

void set_capacity(int64_t records, int64_t hitmap_bytes) {
  HitLog::instance().set_capacity(records, hitmap_bytes);
}

int64_t export_csv(std::string dir) { return HitLog::instance().export_csv(dir); }

}  // namespace

TORCH_LIBRARY_FRAGMENT(mercury, m) {
  const auto conservative = c10::AliasAnalysisKind::CONSERVATIVE;
  m.def(torch::schema("mercury::hitlog_table(int start=0) -> Tensor", conservative), &table);
  m.def(torch::schema("mercury::hitlog_hitmap(int index) -> Tensor", conservative), &hitmap);
  m.def(torch::schema("mercury::hitlog_overflow() -> Tensor", conservative), &overflow_table);
  m.def(torch::schema("mercury::hitlog_stats() -> int[]", conservative), &stats);
  m.def(torch::schema("mercury::hitlog_reset() -> ()", conservative), &reset);
  m.def(torch::schema("mercury::hitlog_set_capacity(int records, int hitmap_bytes) -> ()", conservative),
        &set_capacity);
  m.def(torch::schema("mercury::hitlog_export(str dir) -> int", conservative), &export_csv);
}

}  // namespace hitlog
}  // namespace mercury

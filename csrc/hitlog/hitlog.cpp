#include "csrc/hitlog/hitlog.h"

#include <algorithm>

#include <c10/util/Exception.h>
#include <c10/util/Logging.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sys/stat.h>
#include <utility>

namespace mercury {
namespace hitlog {

const std::vector<std::string>& record_columns() {
#define MERCURY_COLUMN_NAME(field, column) column,
  static const std::vector<std::string> columns = {
      MERCURY_HITLOG_FIELDS(MERCURY_COLUMN_NAME, MERCURY_COLUMN_NAME, MERCURY_COLUMN_NAME)};
#undef MERCURY_COLUMN_NAME
  return columns;
}

HitLog& HitLog::instance() {
  static HitLog log;
  return log;
}

int64_t HitLog::reserve() {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_ticket_++;
}

void HitLog::complete(int64_t ticket, Record record) {
  std::lock_guard<std::mutex> lock(mutex_);
  TORCH_INTERNAL_ASSERT(ticket >= next_to_store_ && ticket < next_ticket_ && !waiting_.count(ticket),
                        "hit log: ticket ", ticket, " is not open");
  waiting_.emplace(ticket, std::move(record));
  store_ready();
}

void HitLog::abandon(int64_t ticket) {
  std::lock_guard<std::mutex> lock(mutex_);
  TORCH_INTERNAL_ASSERT(ticket >= next_to_store_ && ticket < next_ticket_ && !waiting_.count(ticket),
                        "hit log: ticket ", ticket, " is not open");
  waiting_.emplace(ticket, std::nullopt);
  store_ready();
}

void HitLog::append(Record record) { complete(reserve(), std::move(record)); }

void HitLog::wait_for_pending() const {
  std::unique_lock<std::mutex> lock(mutex_);
  const int64_t taken = next_ticket_;
  settled_.wait(lock, [&] { return next_to_store_ >= taken; });
}

void HitLog::store_ready() {
  bool stored = false;
  for (auto it = waiting_.begin(); it != waiting_.end() && it->first == next_to_store_; it = waiting_.erase(it)) {
    if (it->second.has_value()) store(std::move(*it->second));
    ++next_to_store_;
    stored = true;
  }
  if (stored) settled_.notify_all();
}

void HitLog::store(Record record) {
  record.seq = seq_++;
  record.call = next_call_[record.layer_id]++;
  if (static_cast<int64_t>(records_.size()) >= record_capacity_) {
    if (overflow_.empty()) {
      TORCH_WARN("mercury hit log is full (", record_capacity_,
                 " records): further calls are counted per layer in hitlog_overflow(), not stored");
    }
    Overflow& o = overflow_[record.layer_id];
    o.calls += 1;
    o.hits += record.hits;
    o.misses += record.misses;
    o.vectors += record.vectors;
    return;
  }
  const auto map_bytes = static_cast<int64_t>(record.hitmap.size());
  if (map_bytes > 0 && hitmap_bytes_ + map_bytes > hitmap_byte_capacity_) {
    if (dropped_hitmaps_ == 0) {
      TORCH_WARN("mercury hit log: hit-map budget of ", hitmap_byte_capacity_,
                 " bytes reached; later records keep their counts but not their hit maps");
    }
    record.hitmap.clear();
    record.hitmap.shrink_to_fit();
    ++dropped_hitmaps_;
  } else {
    hitmap_bytes_ += map_bytes;
  }
  records_.push_back(std::move(record));
}

std::vector<Record> HitLog::snapshot(int64_t start) const {
  wait_for_pending();
  std::lock_guard<std::mutex> lock(mutex_);
  const auto size = static_cast<int64_t>(records_.size());
  return {records_.begin() + std::min(std::max<int64_t>(start, 0), size), records_.end()};
}

std::map<int64_t, Overflow> HitLog::overflow() const {
  wait_for_pending();
  std::lock_guard<std::mutex> lock(mutex_);
  return overflow_;
}

Stats HitLog::stats() const {
  wait_for_pending();
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s;
  s.stored = static_cast<int64_t>(records_.size());
  for (const auto& kv : overflow_) {
    s.dropped_calls += kv.second.calls;
  }
  s.dropped_hitmaps = dropped_hitmaps_;
  s.record_capacity = record_capacity_;
  s.hitmap_bytes = hitmap_bytes_;
  s.hitmap_byte_capacity = hitmap_byte_capacity_;
  return s;
}

void HitLog::reset() { take(); }

Taken HitLog::take() {
  wait_for_pending();
  std::lock_guard<std::mutex> lock(mutex_);
  Taken taken{std::move(records_), std::move(overflow_), dropped_hitmaps_};
  records_ = {};
  overflow_.clear();
  next_call_.clear();
  seq_ = 0;
  dropped_hitmaps_ = 0;
  hitmap_bytes_ = 0;
  return taken;
}

void HitLog::set_capacity(int64_t records, int64_t hitmap_bytes) {
  TORCH_CHECK(records >= 0, "hit log record capacity must be >= 0, got ", records);
  TORCH_CHECK(hitmap_bytes >= 0, "hit log hit-map byte capacity must be >= 0, got ", hitmap_bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  record_capacity_ = records;
  hitmap_byte_capacity_ = hitmap_bytes;
}

namespace {

void make_dir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    TORCH_CHECK(false, "cannot create hit log directory '", dir, "': ", std::strerror(errno));
  }
}

std::ofstream open_for_write(const std::string& path) {
  std::ofstream out(path);
  TORCH_CHECK(out.good(), "cannot write hit log file '", path, "'");
  return out;
}

void write_header(std::ofstream& out) {
  const std::vector<std::string>& columns = record_columns();
  for (size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << columns[i];
  out << '\n';
}

void write_hitmap(std::ofstream& out, const std::vector<uint8_t>& hitmap) {
  for (uint8_t flag : hitmap) out << (flag ? '1' : '0');
}

// One row: the fields in schema order, comma-separated.
void write_record(std::ofstream& out, const Record& r) {
  const char* sep = "";
#define MERCURY_WRITE_VALUE(field, column) out << std::exchange(sep, ",") << r.field;
#define MERCURY_WRITE_HITMAP(field, column) \
  out << std::exchange(sep, ",");           \
  write_hitmap(out, r.field);
  MERCURY_HITLOG_FIELDS(MERCURY_WRITE_VALUE, MERCURY_WRITE_VALUE, MERCURY_WRITE_HITMAP)
#undef MERCURY_WRITE_VALUE
#undef MERCURY_WRITE_HITMAP
  out << '\n';
}

}  // namespace

int64_t HitLog::export_csv(const std::string& dir) const {
  const std::vector<Record> records = snapshot();
  const std::map<int64_t, Overflow> dropped = overflow();
  make_dir(dir);

  std::map<int64_t, std::vector<const Record*>> by_layer;
  for (const Record& r : records) {
    by_layer[r.layer_id].push_back(&r);
  }
  for (const auto& kv : by_layer) {
    char name[32];
    std::snprintf(name, sizeof(name), "/" MERCURY_HITLOG_FILE_PREFIX "%03lld.csv", static_cast<long long>(kv.first));
    std::ofstream out = open_for_write(dir + name);
    write_header(out);
    for (const Record* r : kv.second) {
      write_record(out, *r);
    }
    TORCH_CHECK(out.good(), "failed while writing hit log file '", dir + name, "'");
  }
  std::ofstream out = open_for_write(dir + "/overflow.csv");
  out << "layer_id,dropped_calls,dropped_hits,dropped_misses,dropped_vectors\n";
  for (const auto& kv : dropped) {
    out << kv.first << ',' << kv.second.calls << ',' << kv.second.hits << ',' << kv.second.misses << ','
        << kv.second.vectors << '\n';
  }
  return static_cast<int64_t>(by_layer.size());
}

}  // namespace hitlog
}  // namespace mercury

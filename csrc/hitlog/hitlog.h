// The process-wide MERCURY hit log: every mercury::conv2d call appends one record.
// Bounded: past `record_capacity` records (or `hitmap_byte_capacity` bytes of per-vector hit maps)
// nothing more is stored, but every dropped call is still counted per layer, so totals stay exact.
#pragma once

#include "csrc/hitlog/record_schema.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace mercury {
namespace hitlog {

// One call, with the fields of csrc/hitlog/record_schema.h (seq and call are filled in by HitLog::append).
struct Record {
#define MERCURY_RECORD_INT(field, column) int64_t field = 0;
#define MERCURY_RECORD_TEXT(field, column) std::string field;
#define MERCURY_RECORD_HITMAP(field, column) std::vector<uint8_t> field;  // 0/1 per vector in lookup order
  MERCURY_HITLOG_FIELDS(MERCURY_RECORD_INT, MERCURY_RECORD_TEXT, MERCURY_RECORD_HITMAP)
#undef MERCURY_RECORD_INT
#undef MERCURY_RECORD_TEXT
#undef MERCURY_RECORD_HITMAP
};

// The column names, in schema order.
const std::vector<std::string>& record_columns();

// What could not be stored, per layer.
struct Overflow {
  int64_t calls = 0, hits = 0, misses = 0, vectors = 0;
};

struct Stats {
  int64_t stored = 0;
  int64_t dropped_calls = 0;
  int64_t dropped_hitmaps = 0;  // records kept without their hit map
  int64_t record_capacity = 0;
  int64_t hitmap_bytes = 0;
  int64_t hitmap_byte_capacity = 0;
};

class HitLog {
 public:
  static HitLog& instance();

  // Fills in seq and call; returns the stored record's index, or -1 when it overflowed.
  int64_t append(Record record);
  // Records from index `start` on (all by default): a reader that polls every step copies only what is new.
  std::vector<Record> snapshot(int64_t start = 0) const;
  std::map<int64_t, Overflow> overflow() const;
  Stats stats() const;
  void reset();
  void set_capacity(int64_t records, int64_t hitmap_bytes);
  // Writes DIR/hitlog-NNN.csv per layer and DIR/overflow.csv (format in docs/INTERFACES.md).
  // Returns the number of layer files written.
  int64_t export_csv(const std::string& dir) const;

 private:
  HitLog() = default;
  mutable std::mutex mutex_;
  std::vector<Record> records_;
  std::map<int64_t, int64_t> next_call_;
  std::map<int64_t, Overflow> overflow_;
  int64_t seq_ = 0;
  int64_t dropped_hitmaps_ = 0;
  int64_t hitmap_bytes_ = 0;
  int64_t record_capacity_ = 100000;
  int64_t hitmap_byte_capacity_ = int64_t(256) << 20;
};

}  // namespace hitlog
}  // namespace mercury

// The process-wide MERCURY hit log: every mercury::conv2d call appends one record.
// Bounded: past `record_capacity` records (or `hitmap_byte_capacity` bytes of per-vector hit maps)
// nothing more is stored, but every dropped call is still counted per layer, so totals stay exact.
// In call order: a call takes its place (a ticket) when it starts, and its record lands after every earlier call's,
// even when its lookups finish later on another thread (the device kernels' observe mode); readers wait for the
// places still open.
#pragma once

#include "csrc/hitlog/record_schema.h"

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
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

// What HitLog::take hands over: the stored records, the overflow and the count of hit maps dropped.
struct Taken {
  std::vector<Record> records;
  std::map<int64_t, Overflow> overflow;
  int64_t dropped_hitmaps = 0;
};

class HitLog {
 public:
  static HitLog& instance();

  // A call's place in the log, taken when the call starts.
  int64_t reserve();
  // The record of the call at `ticket`: stored once every earlier place is completed or abandoned (seq and call
  // are filled in then, in ticket order).
  void complete(int64_t ticket, Record record);
  // The call at `ticket` failed: it leaves no record, and later records no longer wait for it.
  void abandon(int64_t ticket);
  // complete(reserve(), record).
  void append(Record record);
  // Blocks until every place taken so far is completed or abandoned (every reader below does this first).
  void wait_for_pending() const;
  // Records from index `start` on (all by default): a reader that polls every step copies only what is new.
  std::vector<Record> snapshot(int64_t start = 0) const;
  std::map<int64_t, Overflow> overflow() const;
  Stats stats() const;
  void reset();
  // The log's contents, and the log reset, in one step: a record a concurrent call stores lands either in what is
  // taken or in the emptied log, never between a read and a reset.
  Taken take();
  void set_capacity(int64_t records, int64_t hitmap_bytes);
  // Writes DIR/hitlog-NNN.csv per layer and DIR/overflow.csv (format in docs/INTERFACES.md).
  // Returns the number of layer files written.
  int64_t export_csv(const std::string& dir) const;

 private:
  HitLog() = default;
  // Stores `record` (mutex_ held): fills in seq and call, or counts it in the overflow.
  void store(Record record);
  // Stores the completed records whose turn has come (mutex_ held).
  void store_ready();
  mutable std::mutex mutex_;
  mutable std::condition_variable settled_;
  int64_t next_ticket_ = 0, next_to_store_ = 0;
  std::map<int64_t, std::optional<Record>> waiting_;  // ticket -> record, or none when abandoned
  std::vector<Record> records_;
  std::map<int64_t, int64_t> next_call_;
  std::map<int64_t, Overflow> overflow_;
  int64_t seq_ = 0;
  int64_t dropped_hitmaps_ = 0;
  int64_t hitmap_bytes_ = 0;
  int64_t record_capacity_ = 100000;
  int64_t hitmap_byte_capacity_ = int64_t(256) << 20;
};

// A call's place in the hit log, abandoned unless completed: a call that fails on the way leaves no record, and
// no half-written one.
class Ticket {
 public:
  Ticket() : id_(HitLog::instance().reserve()) {}
  ~Ticket() {
    if (id_ >= 0) HitLog::instance().abandon(id_);
  }
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;
  void complete(Record record) {
    const int64_t id = id_;
    id_ = -1;
    HitLog::instance().complete(id, std::move(record));
  }

 private:
  int64_t id_;
};

}  // namespace hitlog
}  // namespace mercury

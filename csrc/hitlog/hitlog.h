// The process-wide MERCURY hit log: every mercury::conv2d call appends one record.
// Bounded: past `record_capacity` records (or `hitmap_byte_capacity` bytes of per-vector hit maps)
// nothing more is stored, but every dropped call is still counted per layer, so totals stay exact.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace mercury {
namespace hitlog {

struct Record {
  int64_t seq = 0;       // global order of arrival
  int64_t layer_id = 0;
  int64_t call = 0;      // per-layer call index, counted even for dropped calls
  int64_t n = 0, c = 0, h = 0, w = 0;  // input shape
  int64_t out_channels = 0, kernel_h = 0, kernel_w = 0, out_h = 0, out_w = 0, groups = 1;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
  int64_t vectors = 0;   // S0: vectors looked up in this call
  int64_t sig_bits = 0;  // S1
  int64_t hits = 0, misses = 0;
  std::string mode;      // "observe" or "reuse"
  std::string vector;    // "patch" or "channel"
  std::string signature;  // "sign" or "e2lsh"
  std::vector<uint8_t> hitmap;  // one 0/1 per vector in lookup order; empty when not recorded
};

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
  // Writes DIR/hitmap-NNN.csv per layer and DIR/overflow.csv (format in docs/INTERFACES.md).
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

// The hit log as registered ops, so Python, TorchScript and C++ read it the same way.
// CONSERVATIVE alias analysis keeps TorchScript from removing calls whose outputs are unused.
#include "csrc/hitlog/hitlog.h"
#include "csrc/settings/settings.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <torch/library.h>
#include <ATen/ATen.h>

namespace mercury {
namespace hitlog {
namespace {

// The texts a TEXT column may hold: the op's list for "op", else the choices of the setting it is named after.
const std::vector<std::string>& text_choices(const std::string& column) {
#define MERCURY_OP_TEXT(text) text,
  static const std::vector<std::string> ops{MERCURY_HITLOG_OP_CHOICES(MERCURY_OP_TEXT)};
#undef MERCURY_OP_TEXT
  return column == "op" ? ops : setting_spec(column).choices;
}

// A text column's value as its index in text_choices.
int64_t choice_index(const char* column, const std::string& value) {
  const std::vector<std::string>& choices = text_choices(column);
  const auto it = std::find(choices.begin(), choices.end(), value);
  TORCH_INTERNAL_ASSERT(it != choices.end(), "hit log: ", column, " '", value, "' is not a known choice");
  return it - choices.begin();
}

std::string json_list(const std::vector<std::string>& texts) {
  std::string out;
  for (const std::string& t : texts) out += std::string(out.empty() ? "" : ", ") + "\"" + t + "\"";
  return "[" + out + "]";
}

// One row per record, columns in record_columns() order (record_schema.h).
at::Tensor table_of(const std::vector<Record>& records) {
  const auto columns = static_cast<int64_t>(record_columns().size());
  at::Tensor t = at::empty({static_cast<int64_t>(records.size()), columns}, at::kLong);
  int64_t* p = t.data_ptr<int64_t>();
  for (const Record& r : records) {
#define MERCURY_TABLE_INT(field, column) *p++ = r.field;
#define MERCURY_TABLE_TEXT(field, column) *p++ = choice_index(column, r.field);
#define MERCURY_TABLE_HITMAP(field, column) *p++ = r.field.empty() ? 0 : 1;
    MERCURY_HITLOG_FIELDS(MERCURY_TABLE_INT, MERCURY_TABLE_TEXT, MERCURY_TABLE_HITMAP)
#undef MERCURY_TABLE_INT
#undef MERCURY_TABLE_TEXT
#undef MERCURY_TABLE_HITMAP
  }
  return t;
}

// The records from index `start` on.
at::Tensor table(int64_t start) {
  TORCH_CHECK(start >= 0, "hitlog_table: start must be >= 0, got ", start);
  return table_of(HitLog::instance().snapshot(start));
}

// The record schema (record_schema.h) as JSON, for Python: {"columns": [{"name", "kind": "int"|"text"|"hitmap",
// "geometry": bool, and for text columns "choices": [...]}], "old_columns": {old: new}, "file_prefix",
// "old_file_prefix"}.
std::string schema_json() {
  std::string columns;
  auto add = [&](const char* name, const char* kind, bool geometry) {
    const std::string choices =
        std::string(kind) == "text" ? ", \"choices\": " + json_list(text_choices(name)) : std::string();
    columns += std::string(columns.empty() ? "" : ", ") + "{\"name\": \"" + name + "\", \"kind\": \"" + kind +
               "\", \"geometry\": " + (geometry ? "true" : "false") + choices + "}";
  };
  std::vector<std::string> geometry;
#define MERCURY_GEOMETRY_NAME(field, column) geometry.push_back(column);
  MERCURY_HITLOG_GEOMETRY(MERCURY_GEOMETRY_NAME)
#undef MERCURY_GEOMETRY_NAME
  auto is_geometry = [&](const char* name) { return std::find(geometry.begin(), geometry.end(), name) != geometry.end(); };
#define MERCURY_SCHEMA_INT(field, column) add(column, "int", is_geometry(column));
#define MERCURY_SCHEMA_TEXT(field, column) add(column, "text", false);
#define MERCURY_SCHEMA_HITMAP(field, column) add(column, "hitmap", false);
  MERCURY_HITLOG_FIELDS(MERCURY_SCHEMA_INT, MERCURY_SCHEMA_TEXT, MERCURY_SCHEMA_HITMAP)
#undef MERCURY_SCHEMA_INT
#undef MERCURY_SCHEMA_TEXT
#undef MERCURY_SCHEMA_HITMAP
  std::string old_columns;
#define MERCURY_SCHEMA_OLD(old_name, name) \
  old_columns += std::string(old_columns.empty() ? "" : ", ") + "\"" + old_name + "\": \"" + name + "\"";
  MERCURY_HITLOG_OLD_COLUMNS(MERCURY_SCHEMA_OLD)
#undef MERCURY_SCHEMA_OLD
  return "{\"columns\": [" + columns + "], \"old_columns\": {" + old_columns + "}, \"file_prefix\": \"" +
         MERCURY_HITLOG_FILE_PREFIX + "\", \"old_file_prefix\": \"" + MERCURY_HITLOG_OLD_FILE_PREFIX + "\"}";
}

at::Tensor hitmap_tensor(const std::vector<uint8_t>& map) {
  at::Tensor t = at::empty({static_cast<int64_t>(map.size())}, at::kByte);
  std::copy(map.begin(), map.end(), t.data_ptr<uint8_t>());
  return t.to(at::kBool);
}

at::Tensor hitmap(int64_t index) {
  const std::vector<Record> records = HitLog::instance().snapshot(index);
  TORCH_CHECK(index >= 0 && !records.empty(), "hitlog_hitmap: record index ", index, " out of range [0, ",
              HitLog::instance().stats().stored, ")");
  return hitmap_tensor(records.front().hitmap);
}

// Per layer with dropped calls: layer, calls, hits, misses, vectors.
at::Tensor overflow_table_of(const std::map<int64_t, Overflow>& dropped) {
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

at::Tensor overflow_table() { return overflow_table_of(HitLog::instance().overflow()); }

// The log's records (and, with with_hitmaps, each one's hit map: empty where none was kept), its overflow and its
// count of dropped hit maps, taken and the log reset in one step (HitLog::take).
std::tuple<at::Tensor, std::vector<at::Tensor>, at::Tensor, int64_t> take(bool with_hitmaps) {
  const Taken taken = HitLog::instance().take();
  std::vector<at::Tensor> maps;
  if (with_hitmaps) {
    maps.reserve(taken.records.size());
    for (const Record& r : taken.records) maps.push_back(hitmap_tensor(r.hitmap));
  }
  return {table_of(taken.records), maps, overflow_table_of(taken.overflow), taken.dropped_hitmaps};
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

void wait_for_pending() { HitLog::instance().wait_for_pending(); }

}  // namespace

TORCH_LIBRARY_FRAGMENT(mercury, m) {
  const auto conservative = c10::AliasAnalysisKind::CONSERVATIVE;
  m.def(torch::schema("mercury::hitlog_table(int start=0) -> Tensor", conservative), &table);
  m.def("mercury::hitlog_schema() -> str", &schema_json);
  m.def(torch::schema("mercury::hitlog_hitmap(int index) -> Tensor", conservative), &hitmap);
  m.def(torch::schema("mercury::hitlog_overflow() -> Tensor", conservative), &overflow_table);
  m.def(torch::schema("mercury::hitlog_stats() -> int[]", conservative), &stats);
  m.def(torch::schema("mercury::hitlog_reset() -> ()", conservative), &reset);
  m.def(torch::schema("mercury::hitlog_take(bool with_hitmaps=False) -> (Tensor, Tensor[], Tensor, int)",
                      conservative),
        &take);
  m.def(torch::schema("mercury::hitlog_set_capacity(int records, int hitmap_bytes) -> ()", conservative),
        &set_capacity);
  m.def(torch::schema("mercury::hitlog_export(str dir) -> int", conservative), &export_csv);
  // Every reader waits for the records of calls whose lookups still run on the host (the device kernels' observe
  // mode); this waits alone (at exit, before a device's runtime goes).
  m.def(torch::schema("mercury::hitlog_wait() -> ()", conservative), &wait_for_pending);
}

}  // namespace hitlog
}  // namespace mercury

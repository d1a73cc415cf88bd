#include "hitlog.h"

#include "csrc/hitlog/record_schema.h"
#include "parse_error.h"

#include <dirent.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <sstream>
#include <vector>

namespace msim {
namespace {

// The record's column names (csrc/hitlog/record_schema.h): column::vectors is "vectors", column::c is "C", ...
namespace column {
#define MSIM_HITLOG_COLUMN(field, name) [[maybe_unused]] constexpr const char* field = name;
MERCURY_HITLOG_FIELDS(MSIM_HITLOG_COLUMN, MSIM_HITLOG_COLUMN, MSIM_HITLOG_COLUMN)
#undef MSIM_HITLOG_COLUMN
}  // namespace column

// Column name -> index. Older files' names (S0, S1, vector) are read as the current ones.
std::map<std::string, size_t> parse_header(const std::vector<std::string>& f, const std::string& name, int line) {
  static const std::map<std::string, std::string> kRenamed = {
#define MSIM_HITLOG_RENAMED(old, current) {old, current},
      MERCURY_HITLOG_OLD_COLUMNS(MSIM_HITLOG_RENAMED)
#undef MSIM_HITLOG_RENAMED
  };
  std::map<std::string, size_t> columns;
  for (size_t i = 0; i < f.size(); ++i) {
    auto renamed = kRenamed.find(f[i]);
    if (renamed != kRenamed.end() && std::find(f.begin(), f.end(), renamed->second) != f.end()) {
      throw ParseError(name, line, "hit log header has both '" + renamed->first + "' and its new name '" +
                                       renamed->second + "'");
    }
    columns[renamed == kRenamed.end() ? f[i] : renamed->second] = i;
  }
  for (const char* needed : {column::vectors, column::sig_bits, column::hits, column::misses}) {
    if (!columns.count(needed)) throw ParseError(name, line, std::string("hit log header lacks column '") + needed + "'");
  }
  return columns;
}

// One call's row, its fields looked up by column name.
class Row {
 public:
  Row(const std::map<std::string, size_t>& columns, const std::string& text, const std::string& name, int line)
      : columns_(columns), f_(split_csv_row(text)), name_(name), line_(line) {}

  [[noreturn]] void fail(const std::string& message) const { throw ParseError(name_, line_, message); }
  int line() const { return line_; }
  // A required count (>= 0).
  long long count(const char* key) const {
    const size_t i = columns_.at(key);
    if (i >= f_.size()) fail(std::string("row has no '") + key + "' field");
    const long long v = parse_int(f_[i], key, name_, line_);
    if (v < 0) fail(std::string(key) + " must be >= 0, got " + std::to_string(v));
    return v;
  }
  // An optional field (geometry, N; <= 2^31): `fallback` when the column or the value is absent.
  long long optional_count(const char* key, long long fallback) const {
    if (!present(key)) return fallback;
    const long long v = count(key);
    if (v > (1LL << 31)) fail(std::string(key) + " must be <= 2^31, got " + std::to_string(v));
    return v;
  }
  std::string text(const char* key, const std::string& fallback) const {
    auto it = columns_.find(key);
    return it != columns_.end() && it->second < f_.size() ? f_[it->second] : fallback;
  }

 private:
  bool present(const char* key) const {
    auto it = columns_.find(key);
    return it != columns_.end() && it->second < f_.size() && !f_[it->second].empty();
  }
  const std::map<std::string, size_t>& columns_;
  const std::vector<std::string> f_;
  const std::string& name_;
  const int line_;
};

// The call's vectors, hits, misses and signature bits, added to the layer's totals.
void add_counts(const Row& row, LayerHits& total) {
  const long long vectors = row.count(column::vectors), hits = row.count(column::hits);
  const long long misses = row.count(column::misses);
  if (hits > vectors || misses != vectors - hits) {  // no overflow: both are >= 0
    row.fail("hits (" + std::to_string(hits) + ") + misses (" + std::to_string(misses) + ") != vectors (" +
             std::to_string(vectors) + ")");
  }
  if (vectors > (1LL << 48)) row.fail("vectors must be <= 2^48, got " + std::to_string(vectors));
  total.calls += 1;
  if (__builtin_add_overflow(total.vectors, vectors, &total.vectors)) row.fail("the sum of vectors over the calls overflows");
  total.hits += hits;  // <= vectors: cannot overflow when the vectors sum did not
  total.misses += misses;
  total.sig_bits = row.count(column::sig_bits);
  if (total.sig_bits > 64) {
    row.fail("sig_bits (signature bits) must be <= 64, got " + std::to_string(total.sig_bits));
  }
}

// The call's vector kind and geometry (optional columns): the first call sets them, later calls must agree on the
// structure.
void add_geometry(const Row& row, LayerHits& total) {
  const std::string vector = row.text(column::vector_kind, total.vector_kind);
  if (vector != "patch" && vector != "channel") {
    row.fail("vector kind must be 'patch' or 'channel', got '" + vector + "'");
  }
  std::string op = row.text(column::op, "");
  if (op.empty()) op = "conv2d";  // logs from before the column, or a writer that left it blank
  if (op != "conv2d" && op != "linear" && op != "matmul") {
    row.fail("op must be 'conv2d', 'linear' or 'matmul', got '" + op + "'");
  }
  if (total.calls > 1 && op != total.op) {
    row.fail("op '" + op + "' differs from the first call's '" + total.op + "' (one file must hold one layer)");
  }
  total.op = op;
  constexpr int kGeometry = 9;
  static const char* const names[kGeometry] = {column::c,          column::out_channels, column::kernel_h,
                                               column::kernel_w,   column::dilation_h,   column::dilation_w,
                                               column::groups,     column::stride_h,     column::stride_w};
  long long* mine[kGeometry] = {&total.C, &total.out_channels, &total.kernel_h, &total.kernel_w, &total.dilation_h,
                                &total.dilation_w, &total.groups, &total.stride_h, &total.stride_w};
  static const long long absent[kGeometry] = {-1, -1, -1, -1, 1, 1, -1, -1, -1};  // no dilation: 1
  long long geometry[kGeometry];
  for (int i = 0; i < kGeometry; ++i) geometry[i] = row.optional_count(names[i], absent[i]);
  if (total.calls == 1) {
    for (int i = 0; i < kGeometry; ++i) *mine[i] = geometry[i];
    total.vector_kind = vector;
    total.out_h = row.optional_count(column::out_h, -1);
    total.out_w = row.optional_count(column::out_w, -1);
    total.first_line = row.line();
  } else {
    for (int i = 0; i < kGeometry; ++i) {
      if (geometry[i] != *mine[i]) {
        row.fail(std::string(names[i]) + " " + std::to_string(geometry[i]) + " differs from the first call's " +
                 std::to_string(*mine[i]) + " (one file must hold one layer)");
      }
    }
    if (vector != total.vector_kind) {
      row.fail("vector kind '" + vector + "' differs from the first call's '" + total.vector_kind + "'");
    }
  }
  total.batch_images += row.optional_count(column::n, 0);  // <= 2^31 per call; 2^32 calls would be needed to overflow
}

// The layer id of a hit-log file name (PREFIX NNN .csv, either prefix); none for any other file.
std::optional<long long> hitlog_file_id(const std::string& n, const std::string& path) {
  for (const char* prefix : {MERCURY_HITLOG_FILE_PREFIX, MERCURY_HITLOG_OLD_FILE_PREFIX}) {
    const size_t p = std::strlen(prefix);
    if (n.rfind(prefix, 0) != 0 || n.size() < p + 5 || n.substr(n.size() - 4) != ".csv") continue;
    return parse_int(n.substr(p, n.size() - p - 4), "layer id in file name", path, 0);
  }
  return std::nullopt;
}

}  // namespace

LayerHits parse_hitlog_text(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  std::map<std::string, size_t> columns;
  LayerHits total;
  total.file = name;
  while (std::getline(in, raw)) {
    ++line;
    if (trim(raw).empty()) continue;
    if (columns.empty()) {
      columns = parse_header(split_csv_row(trim(raw)), name, line);
      continue;
    }
    const Row row(columns, trim(raw), name, line);
    add_counts(row, total);
    add_geometry(row, total);
  }
  if (columns.empty()) throw ParseError(name, line, "empty hit log file");
  return total;
}

std::map<long long, LayerHits> read_hitlog_dir(const std::string& dir, bool allow_empty) {
  DIR* d = opendir(dir.c_str());
  if (!d) throw ParseError(dir, 0, "cannot open hit log directory");
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.push_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());  // the same error, whatever the directory's order
  std::map<long long, std::string> files;  // layer id -> file name
  for (const std::string& n : names) {
    const std::optional<long long> id = hitlog_file_id(n, dir + "/" + n);
    if (!id) continue;
    auto [it, added] = files.emplace(*id, n);
    if (!added) {
      throw ParseError(dir, 0, "layer id " + std::to_string(*id) + " has two hit logs: " + it->second + " and " + n);
    }
  }
  std::map<long long, LayerHits> layers;
  for (const auto& [id, n] : files) {
    const std::string path = dir + "/" + n;
    layers[id] = parse_hitlog_text(read_input_file(path, "hit log file"), path);
  }
  if (layers.empty() && !allow_empty) {
    throw ParseError(dir, 0, "no " MERCURY_HITLOG_FILE_PREFIX "NNN.csv files in the hit log directory");
  }
  return layers;
}

}  // namespace msim

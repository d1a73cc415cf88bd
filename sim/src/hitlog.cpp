#include "hitlog.h"

#include "parse_error.h"

#include <dirent.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace msim {
namespace {

std::vector<std::string> split(const std::string& row) {
  std::vector<std::string> out;
  std::stringstream s(row);
  std::string f;
  while (std::getline(s, f, ',')) out.push_back(trim(f));
  if (!row.empty() && row.back() == ',') out.push_back("");
  return out;
}

}  // namespace

LayerHits parse_hitlog_text(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  std::map<std::string, size_t> column;
  LayerHits total;
  total.file = name;
  while (std::getline(in, raw)) {
    ++line;
    if (trim(raw).empty()) continue;
    const std::vector<std::string> f = split(trim(raw));
    if (column.empty()) {
      for (size_t i = 0; i < f.size(); ++i) column[f[i]] = i;
      for (const char* needed : {"S0", "S1", "hits", "misses"}) {
        if (!column.count(needed)) throw ParseError(name, line, std::string("hit log header lacks column '") + needed + "'");
      }
      continue;
    }
    auto get = [&](const char* key) {
      const size_t i = column.at(key);
      if (i >= f.size()) throw ParseError(name, line, std::string("row has no '") + key + "' field");
      const long long v = parse_int(f[i], key, name, line);
      if (v < 0) throw ParseError(name, line, std::string(key) + " must be >= 0, got " + std::to_string(v));
      return v;
    };
    const long long vectors = get("S0"), hits = get("hits"), misses = get("misses");
    if (hits > vectors || misses != vectors - hits) {  // no overflow: both are >= 0
      throw ParseError(name, line, "hits (" + std::to_string(hits) + ") + misses (" + std::to_string(misses) +
                                       ") != S0 (" + std::to_string(vectors) + ")");
    }
    if (vectors > (1LL << 48)) throw ParseError(name, line, "S0 must be <= 2^48, got " + std::to_string(vectors));
    total.calls += 1;
    if (__builtin_add_overflow(total.vectors, vectors, &total.vectors)) {
      throw ParseError(name, line, "the sum of S0 over the calls overflows");
    }
    total.hits += hits;  // <= vectors: cannot overflow when the S0 sum did not
    total.misses += misses;
    total.sig_bits = get("S1");
    if (total.sig_bits > 64) throw ParseError(name, line, "S1 (signature bits) must be <= 64, got " + std::to_string(total.sig_bits));
    std::string vector = total.vector;
    if (column.count("vector") && column["vector"] < f.size()) vector = f[column["vector"]];
    if (vector != "patch" && vector != "channel") {
      throw ParseError(name, line, "vector kind must be 'patch' or 'channel', got '" + vector + "'");
    }
    // Geometry columns (optional): the first call sets them, later calls must agree on the structure.
    auto opt = [&](const char* key, long long fallback) {
      if (!column.count(key) || column.at(key) >= f.size() || f[column.at(key)].empty()) return fallback;
      const long long v = get(key);
      if (v > (1LL << 31)) throw ParseError(name, line, std::string(key) + " must be <= 2^31, got " + std::to_string(v));
      return v;
    };
    static const char* const names[] = {"C", "out_channels", "kernel_h", "kernel_w", "dilation_h", "dilation_w",
                                        "groups", "stride_h", "stride_w"};
    constexpr int kGeometry = 9;
    const long long geometry[kGeometry] = {opt("C", -1), opt("out_channels", -1), opt("kernel_h", -1),
                                           opt("kernel_w", -1), opt("dilation_h", 1), opt("dilation_w", 1),
                                           opt("groups", -1), opt("stride_h", -1), opt("stride_w", -1)};
    long long* mine[kGeometry] = {&total.C, &total.out_channels, &total.kernel_h, &total.kernel_w, &total.dilation_h,
                                  &total.dilation_w, &total.groups, &total.stride_h, &total.stride_w};
    if (total.calls == 1) {
      for (int i = 0; i < kGeometry; ++i) *mine[i] = geometry[i];
      total.vector = vector;
      total.out_h = opt("out_h", -1);
      total.out_w = opt("out_w", -1);
      total.first_line = line;
    } else {
      for (int i = 0; i < kGeometry; ++i) {
        if (geometry[i] != *mine[i]) {
          throw ParseError(name, line, std::string(names[i]) + " " + std::to_string(geometry[i]) +
                                           " differs from the first call's " + std::to_string(*mine[i]) +
                                           " (one file must hold one layer)");
        }
      }
      if (vector != total.vector) {
        throw ParseError(name, line, "vector kind '" + vector + "' differs from the first call's '" + total.vector + "'");
      }
    }
    total.batch_images += opt("N", 0);  // <= 2^31 per call; 2^32 calls would be needed to overflow
  }
  if (column.empty()) throw ParseError(name, line, "empty hit log file");
  return total;
}

std::map<long long, LayerHits> read_hitlog_dir(const std::string& dir, bool allow_empty) {
  DIR* d = opendir(dir.c_str());
  if (!d) throw ParseError(dir, 0, "cannot open hit log directory");
  std::map<long long, LayerHits> layers;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.push_back(e->d_name);
  closedir(d);
  for (const std::string& n : names) {
    if (n.rfind("hitmap-", 0) != 0 || n.size() < 12 || n.substr(n.size() - 4) != ".csv") continue;
    const long long id = parse_int(n.substr(7, n.size() - 11), "layer id in file name", dir + "/" + n, 0);
    std::ifstream in(dir + "/" + n);
    std::stringstream buffer;
    buffer << in.rdbuf();
    layers[id] = parse_hitlog_text(buffer.str(), dir + "/" + n);
  }
  if (layers.empty() && !allow_empty) throw ParseError(dir, 0, "no hitmap-NNN.csv files in the hit log directory");
  return layers;
}

}  // namespace msim

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
    if (hits + misses != vectors) {
      throw ParseError(name, line, "hits (" + std::to_string(hits) + ") + misses (" + std::to_string(misses) +
                                       ") != S0 (" + std::to_string(vectors) + ")");
    }
    total.calls += 1;
    total.vectors += vectors;
    total.hits += hits;
    total.misses += misses;
    total.sig_bits = get("S1");
    if (column.count("vector") && column["vector"] < f.size()) total.vector = f[column["vector"]];
  }
  if (column.empty()) throw ParseError(name, line, "empty hit log file");
  return total;
}

std::map<long long, LayerHits> read_hitlog_dir(const std::string& dir) {
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
  if (layers.empty()) throw ParseError(dir, 0, "no hitmap-NNN.csv files in the hit log directory");
  return layers;
}

}  // namespace msim

// Reads the op's exported hit logs (DIR/hitmap-NNN.csv, one row per call; columns found by header name).
#pragma once

#include <map>
#include <string>

namespace msim {

struct LayerHits {
  long long calls = 0, vectors = 0, hits = 0, misses = 0;
  long long sig_bits = 0;       // of the last call (the adaptive policy may change it)
  std::string vector = "patch";
  double hit_rate() const { return vectors ? static_cast<double>(hits) / static_cast<double>(vectors) : 0.0; }
};

// Layer id -> totals over all calls. Throws ParseError (file:line) for malformed files; a missing directory
// is an error too (never a silent "no hits").
std::map<long long, LayerHits> read_hitlog_dir(const std::string& dir);
LayerHits parse_hitlog_text(const std::string& text, const std::string& name);

}  // namespace msim

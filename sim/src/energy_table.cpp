#include "energy_table.h"

#include "energy_default.h"
#include "parse_error.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>
#include <vector>

namespace msim {
namespace {

const std::set<std::string>& scalar_names() {
  static const std::set<std::string> names = {
      "word_bits", "psum_bits", "mac", "rf_access", "add", "signature_mac", "dram_word", "mcache_compare_bit",
      "sram_ref_bits", "sram_min_kb", "sram_max_kb"};
  return names;
}
bool is_width(const std::string& name) { return name.size() > 5 && name.compare(name.size() - 5, 5, "_bits") == 0; }

// "sram_read_<N>kb" / "sram_write_<N>kb": N a positive number (kB); -1 if name is not one.
double sram_point_kb(const std::string& name) {
  for (const char* prefix : {"sram_read_", "sram_write_"}) {
    const std::string p = prefix;
    if (name.compare(0, p.size(), p) != 0 || name.size() < p.size() + 3) continue;
    if (name.compare(name.size() - 2, 2, "kb") != 0) return -1;
    const std::string n = name.substr(p.size(), name.size() - p.size() - 2);
    if (n.find_first_not_of("0123456789.") != std::string::npos || n.empty() || n.front() == '.') return -1;
    char* end = nullptr;
    const double kb = std::strtod(n.c_str(), &end);
    return (*end == '\0' && std::isfinite(kb) && kb > 0) ? kb : -1;
  }
  return -1;
}

double entry_value(const std::string& name, const std::string& raw, const std::string& file, int line) {
  if (raw.empty()) throw ParseError(file, line, "energy component '" + name + "' has no value");
  const double v = parse_double(raw, "energy component '" + name + "'", file, line);
  if (!std::isfinite(v) || v < 0) {
    throw ParseError(file, line, "energy component '" + name + "' must be a finite number >= 0, got '" + raw + "'");
  }
  if (is_width(name) && (v < 1 || v > 4096 || v != std::floor(v))) {
    throw ParseError(file, line, "'" + name + "' must be an integer number of bits in [1, 4096], got '" + raw + "'");
  }
  if ((sram_point_kb(name) > 0 || name == "sram_min_kb" || name == "sram_max_kb") && v <= 0) {
    throw ParseError(file, line, "'" + name + "' must be > 0, got '" + raw + "'");
  }
  return v;
}

struct Point {
  double kb, pj;
  const EnergyEntry* entry;
};

std::vector<Point> sram_points(const EnergyTable& t, bool write) {
  const std::string prefix = write ? "sram_write_" : "sram_read_";
  std::vector<Point> out;
  for (const auto& [name, e] : t.entries) {
    if (name.compare(0, prefix.size(), prefix) == 0) out.push_back({sram_point_kb(name), e.value, &e});
  }
  std::sort(out.begin(), out.end(), [](const Point& a, const Point& b) { return a.kb < b.kb; });
  return out;
}

// log-log interpolation; beyond the points, the end segment's slope (one point: size-independent).
double interpolate(const std::vector<Point>& p, double kb) {
  if (p.size() == 1) return p[0].pj;
  size_t i = 1;
  while (i + 1 < p.size() && kb > p[i].kb) ++i;
  const double slope = std::log(p[i].pj / p[i - 1].pj) / std::log(p[i].kb / p[i - 1].kb);
  return p[i - 1].pj * std::pow(kb / p[i - 1].kb, slope);
}

}  // namespace

const EnergyEntry& EnergyTable::need(const std::string& name, const std::string& why) const {
  auto it = entries.find(name);
  if (it == entries.end()) {
    throw ParseError(origin_file, origin_line, "the energy table has no '" + name + "' (needed by " + why + ")");
  }
  return it->second;
}

double EnergyTable::sram(double kb, long long bits, bool write, const std::string& what) const {
  const std::string kind = write ? "sram_write_<N>kb" : "sram_read_<N>kb";
  const std::vector<Point> p = sram_points(*this, write);
  if (p.empty()) throw ParseError(origin_file, origin_line, "the energy table has no " + kind + " point (needed by " + what + ")");
  const double ref = need("sram_ref_bits", what).value;
  // The range: sram_min_kb / sram_max_kb where given, else the end points; a refusal names the bound's line.
  auto bound = [&](const char* key, const Point& end, bool low) {
    auto it = entries.find(key);
    const bool keyed = it != entries.end();
    const EnergyEntry& e = keyed ? it->second : *end.entry;
    const double limit = keyed ? e.value : end.kb;
    if (low ? kb < limit : kb > limit) {
      std::ostringstream m;
      m << what << " (" << kb << " kB) is " << (low ? "below" : "above") << " the energy table's SRAM range ("
        << (keyed ? std::string(key) : (low ? "its smallest " : "its largest ") + kind + " point") << " = " << limit
        << " kB; sizes beyond the points scale with the end segment's slope only inside sram_min_kb..sram_max_kb)";
      throw ParseError(e.file, e.line, m.str());
    }
  };
  bound("sram_min_kb", p.front(), true);
  bound("sram_max_kb", p.back(), false);
  return interpolate(p, kb) * static_cast<double>(bits) / ref;
}

EnergyTable parse_energy_text(const std::string& text, const std::string& name, const EnergyTable& base) {
  EnergyTable t = base;
  std::set<std::string> seen;
  std::istringstream in(text);
  std::string raw;
  for (int line = 1; std::getline(in, raw); ++line) {
    const std::string s = trim(raw.substr(0, raw.find('#')));
    if (s.empty()) continue;
    const auto eq = s.find('=');
    if (eq == std::string::npos) throw ParseError(name, line, "expected 'component = value', got '" + s + "'");
    const std::string key = trim(s.substr(0, eq)), value = trim(s.substr(eq + 1));
    if (key == "defaults") {
      if (value != "none") throw ParseError(name, line, "'defaults' can only be 'none', got '" + value + "'");
      if (!seen.empty()) throw ParseError(name, line, "'defaults = none' must be the first entry");
      t.entries.clear();
      t.origin_file = name;
      t.origin_line = line;
      seen.insert(key);
      continue;
    }
    if (!scalar_names().count(key) && sram_point_kb(key) < 0) {
      throw ParseError(name, line, "unknown energy component '" + key + "'");
    }
    if (!seen.insert(key).second) throw ParseError(name, line, "duplicate energy component '" + key + "'");
    t.entries[key] = EnergyEntry{entry_value(key, value, name, line), name, line};
  }
  if (seen.empty()) throw ParseError(name, 0, "empty energy table");
  return t;
}

const EnergyTable& default_energy_table() {
  static const EnergyTable t = [] {
    EnergyTable empty;
    empty.origin_file = kDefaultEnergyTableName;
    return parse_energy_text(kDefaultEnergyTable, kDefaultEnergyTableName, empty);
  }();
  return t;
}

const char* default_energy_table_name() { return kDefaultEnergyTableName; }

EnergyTable load_energy_table(const std::string& path) {
  if (path.empty()) return default_energy_table();
  return parse_energy_text(read_input_file(path, "energy table"), path, default_energy_table());
}

}  // namespace msim

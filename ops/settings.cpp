#include "ops/settings.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace mercury {

namespace {

constexpr int64_t kIntMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kIntMax = std::numeric_limits<int64_t>::max();
// Bounds that keep the op's arithmetic and allocations sane (the cache index is int32).
constexpr int64_t kMaxCacheEntries = int64_t{1} << 30;

std::vector<SettingSpec> make_table() {
  return {
      {"mode", SettingType::Str, "observe", 0, 0, {"off", "observe", "reuse"},
       "off: plain conv; observe: exact output, hits counted; reuse: hits reuse cached results"},
      {"sig_bits", SettingType::Int, "20", 1, 64, {}, "signature length in bits (random projections)"},
      {"cache_entries", SettingType::Int, "1024", 1, kMaxCacheEntries, {}, "MCACHE entries"},
      {"cache_ways", SettingType::Int, "0", 0, kMaxCacheEntries, {},
       "MCACHE associativity (0: fully associative; else must divide cache_entries)"},
      {"vector", SettingType::Str, "patch", 0, 0, {"patch", "channel"},
       "patch: one im2col row per output position and group; channel: one kh x kw window per input channel"},
      {"seed", SettingType::Int, "0", kIntMin, kIntMax, {}, "seed of the projection directions"},
      {"signature", SettingType::Str, "sign", 0, 0, {"sign", "e2lsh", "svd"},
       "sign: the paper's RPQ, the sign of each random projection (sees only a vector's direction); e2lsh: each "
       "random projection quantized into buckets of width bucket_width (scaled copies and far-apart vectors "
       "differ); svd: e2lsh on the layer's own top singular directions, weighted by the singular values (vectors "
       "collide when their output rows are close)"},
      {"bucket_width", SettingType::Float, "1.0", 0, 0, {},
       "e2lsh bucket width, relative to the RMS of the call's projections (smaller: fewer, closer hits)", 1e-6,
       1e6},
      {"record_hitmap", SettingType::Bool, "false", 0, 0, {}, "store the per-vector hit map in the hit log"},
  };
}

bool parse_float(const std::string& text, double& out) {
  if (text.empty()) return false;
  try {
    size_t used = 0;
    out = std::stod(text, &used);
    return used == text.size() && std::isfinite(out);
  } catch (const std::exception&) {
    return false;
  }
}

// Shortest text that reads back as the same double.
std::string float_text(double v) {
  for (int digits = 1; digits <= 17; ++digits) {
    std::ostringstream out;
    out.precision(digits);
    out << v;
    if (std::stod(out.str()) == v) return out.str();
  }
  return std::to_string(v);
}

bool parse_int(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  try {
    size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used != text.size()) return false;
    out = static_cast<int64_t>(v);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) s += (i ? sep : "") + items[i];
  return s;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

const char* type_name(SettingType t) {
  switch (t) {
    case SettingType::Int: return "int";
    case SettingType::Float: return "float";
    case SettingType::Str: return "str";
    case SettingType::Bool: return "bool";
  }
  return "?";
}

}  // namespace

const std::vector<SettingSpec>& settings_table() {
  static const std::vector<SettingSpec> table = make_table();
  return table;
}

const SettingSpec& setting_spec(const std::string& name) {
  for (const SettingSpec& s : settings_table()) {
    if (s.name == name) return s;
  }
  std::vector<std::string> names;
  for (const SettingSpec& s : settings_table()) names.push_back(s.name);
  throw std::invalid_argument("unknown setting '" + name + "' (known: " + join(names, ", ") + ")");
}

std::string settings_schema() {
  std::vector<std::string> parts;
  for (const SettingSpec& s : settings_table()) {
    std::string def = s.default_value;
    if (s.type == SettingType::Str) def = "\"" + def + "\"";
    if (s.type == SettingType::Bool) def = def == "true" ? "True" : "False";
    parts.push_back(std::string(type_name(s.type)) + " " + s.name + "=" + def);
  }
  return join(parts, ", ");
}

namespace {

void check_int_range(const SettingSpec& s, int64_t v, const std::string& given) {
  if (v < s.min || v > s.max) {
    throw std::invalid_argument("setting " + s.name + " must be in [" + std::to_string(s.min) + ", " +
                                std::to_string(s.max) + "], got " + given);
  }
}

void check_float_range(const SettingSpec& s, double v, const std::string& given) {
  if (!std::isfinite(v)) {
    throw std::invalid_argument("setting " + s.name + " needs a finite number, got '" + given + "'");
  }
  if (v < s.fmin || v > s.fmax) {
    throw std::invalid_argument("setting " + s.name + " must be in [" + float_text(s.fmin) + ", " +
                                float_text(s.fmax) + "], got " + given);
  }
}

const SettingSpec& spec_of_type(const std::string& name, SettingType type) {
  const SettingSpec& s = setting_spec(name);
  if (s.type != type) throw std::invalid_argument("setting " + name + " is not a " + type_name(type));
  return s;
}

}  // namespace

std::string check_setting(const std::string& name, const std::string& value) {
  const SettingSpec& s = setting_spec(name);
  switch (s.type) {
    case SettingType::Int: {
      int64_t v = 0;
      if (!parse_int(value, v)) {
        throw std::invalid_argument("setting " + name + " needs an integer, got '" + value + "'");
      }
      check_int_range(s, v, value);
      return std::to_string(v);
    }
    case SettingType::Float: {
      double v = 0;
      if (!parse_float(value, v)) {
        throw std::invalid_argument("setting " + name + " needs a finite number, got '" + value + "'");
      }
      check_float_range(s, v, value);
      return float_text(v);
    }
    case SettingType::Str:
      for (const std::string& c : s.choices) {
        if (c == value) return value;
      }
      throw std::invalid_argument("unknown " + name + " '" + value + "' (setting " + name + " must be one of " +
                                  join(s.choices, ", ") + ")");
    case SettingType::Bool:
      if (value == "true" || value == "True" || value == "1") return "true";
      if (value == "false" || value == "False" || value == "0") return "false";
      throw std::invalid_argument("setting " + name + " needs true/false (or 1/0), got '" + value + "'");
  }
  throw std::invalid_argument("setting " + name + ": unknown type");
}

void check_setting_value(const std::string& name, int64_t value) {
  check_int_range(spec_of_type(name, SettingType::Int), value, std::to_string(value));
}

void check_setting_value(const std::string& name, double value) {
  check_float_range(spec_of_type(name, SettingType::Float), value, float_text(value));
}

void check_setting_combination(int64_t cache_entries, int64_t cache_ways) {
  if (cache_ways > cache_entries || (cache_ways != 0 && cache_entries % cache_ways != 0)) {
    throw std::invalid_argument("setting cache_ways (" + std::to_string(cache_ways) +
                                ") must be 0 or divide cache_entries (" + std::to_string(cache_entries) + ")");
  }
}

Settings::Settings() {
  for (const SettingSpec& s : settings_table()) values_[s.name] = s.default_value;
}

void Settings::set(const std::string& name, const std::string& value) { values_[name] = check_setting(name, value); }

const std::string& Settings::get(const std::string& name) const {
  setting_spec(name);  // a clear error for an unknown name
  return values_.at(name);
}

int64_t Settings::get_int(const std::string& name) const { return std::stoll(get(name)); }

double Settings::get_float(const std::string& name) const { return std::stod(get(name)); }

bool Settings::get_bool(const std::string& name) const { return get(name) == "true"; }

void Settings::check_combination() const {
  check_setting_combination(get_int("cache_entries"), get_int("cache_ways"));
}

std::string settings_table_json() {
  std::ostringstream out;
  out << "[";
  bool first = true;
  for (const SettingSpec& s : settings_table()) {
    out << (first ? "" : ", ") << "{\"name\": " << json_string(s.name) << ", \"type\": \"" << type_name(s.type)
        << "\", \"default\": " << json_string(s.default_value) << ", \"help\": " << json_string(s.help);
    if (s.type == SettingType::Int) out << ", \"min\": " << s.min << ", \"max\": " << s.max;
    if (s.type == SettingType::Float) out << ", \"min\": " << float_text(s.fmin) << ", \"max\": " << float_text(s.fmax);
    if (s.type == SettingType::Str) {
      out << ", \"choices\": [";
      for (size_t i = 0; i < s.choices.size(); ++i) out << (i ? ", " : "") << json_string(s.choices[i]);
      out << "]";
    }
    out << "}";
    first = false;
  }
  out << "]";
  return out.str();
}

}  // namespace mercury

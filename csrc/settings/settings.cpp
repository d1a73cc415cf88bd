#include "csrc/settings/settings.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace mercury {

namespace {

#define MERCURY_TABLE_INT(name, default_value, min, max, help) \
  {#name, SettingType::Int, #default_value, min, max, {}, help},
#define MERCURY_TABLE_FLOAT(name, default_value, min, max, help) \
  {#name, SettingType::Float, #default_value, 0, 0, {}, help, min, max},
#define MERCURY_CHOICE_TEXT(value, text) text,
#define MERCURY_TABLE_CHOICE(name, Enum, CHOICES, default_value, help) \
  {#name, SettingType::Str, choice_name(Enum::default_value), 0, 0, {CHOICES(MERCURY_CHOICE_TEXT)}, help},
#define MERCURY_TABLE_BOOL(name, default_value, help) {#name, SettingType::Bool, #default_value, 0, 0, {}, help},

std::vector<SettingSpec> make_table() {
  return {MERCURY_SETTINGS(MERCURY_TABLE_INT, MERCURY_TABLE_FLOAT, MERCURY_TABLE_CHOICE, MERCURY_TABLE_BOOL)};
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

#define MERCURY_CASE_TEXT(value, text) \
  case Choice::value:                   \
    return text;
#define MERCURY_IF_TEXT(value, text) \
  if (canonical == text) {           \
    out = Choice::value;             \
    return;                          \
  }
#define MERCURY_CHOICE_FUNCTIONS(name, Enum, CHOICES, default_value, help)               \
  const char* choice_name(Enum value) {                                                  \
    using Choice = Enum;                                                                 \
    switch (value) { CHOICES(MERCURY_CASE_TEXT) }                                        \
    return "?";                                                                          \
  }                                                                                      \
  int64_t choice_index(Enum value) { return static_cast<int64_t>(value); }               \
  void parse_choice(const std::string& setting, const std::string& text, Enum& out) {   \
    using Choice = Enum;                                                                 \
    const std::string canonical = check_setting(setting, text);                          \
    CHOICES(MERCURY_IF_TEXT)                                                             \
  }
#define MERCURY_NO_FUNCTIONS(...)
MERCURY_SETTINGS(MERCURY_NO_FUNCTIONS, MERCURY_NO_FUNCTIONS, MERCURY_CHOICE_FUNCTIONS, MERCURY_NO_FUNCTIONS)

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

int64_t check_setting_value(const std::string& name, int64_t value) {
  check_int_range(spec_of_type(name, SettingType::Int), value, std::to_string(value));
  return value;
}

double check_setting_value(const std::string& name, double value) {
  check_float_range(spec_of_type(name, SettingType::Float), value, float_text(value));
  return value;
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

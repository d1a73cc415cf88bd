// The MERCURY settings of mercury::conv2d (the arguments after layer_id): name, type, default, allowed values.
// This table is the one place they are defined. The schema (ops/conv2d.cpp), the option parser
// (ops/conv2d_options.cpp), the rewrite pass and its CLI, and Python (mercury.settings, through the
// mercury::settings_table op) all read it. No torch dependency.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mercury {

enum class SettingType { Int, Float, Str, Bool };

struct SettingSpec {
  std::string name;                  // schema argument / Python keyword, e.g. "sig_bits"
  SettingType type;
  std::string default_value;         // canonical text: "20", "observe", "false"
  int64_t min = 0, max = 0;          // Int: inclusive range
  std::vector<std::string> choices;  // Str: the allowed values
  std::string help;
  double fmin = 0, fmax = 0;         // Float: inclusive range
};

// In schema order.
const std::vector<SettingSpec>& settings_table();
// Throws std::invalid_argument listing the known names.
const SettingSpec& setting_spec(const std::string& name);

// "str mode=\"observe\", int sig_bits=20, ...": the settings part of the op's schema.
std::string settings_schema();

// Checks one value given as text ("20", "reuse", "true"/"1"/"false"/"0"); returns its canonical text.
// Throws std::invalid_argument naming the setting, the value and what is allowed.
std::string check_setting(const std::string& name, const std::string& value);
// The same range checks on values that are already numbers (the op's own arguments).
void check_setting_value(const std::string& name, int64_t value);
void check_setting_value(const std::string& name, double value);

// Rules that tie settings together (cache_ways must divide cache_entries). Throws std::invalid_argument.
void check_setting_combination(int64_t cache_entries, int64_t cache_ways);

// A full set of settings as canonical text, starting from the table's defaults.
class Settings {
 public:
  Settings();
  void set(const std::string& name, const std::string& value);  // check_setting + store
  const std::string& get(const std::string& name) const;
  int64_t get_int(const std::string& name) const;
  double get_float(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  void check_combination() const;
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

// The table as JSON (for Python): [{"name":..., "type":"int"|"str"|"bool", "default":..., "min":..., ...}, ...]
std::string settings_table_json();

}  // namespace mercury

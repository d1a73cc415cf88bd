// The MERCURY settings of mercury::conv2d, generated from their one list (csrc/settings/settings_list.h):
// the table (name, type, default, allowed values: read by the schemas in ops/schema.cpp, the rewrite pass and its
// CLI, and Python's mercury.settings through the mercury::settings_table op), the enums of the choice settings,
// and Options, the checked values the kernels read. No torch dependency.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace mercury {

// Bounds used by the list.
constexpr int64_t kIntMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kIntMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxCacheEntries = int64_t{1} << 30;  // keeps allocations sane; the cache index is int32

}  // namespace mercury

#include "csrc/settings/settings_list.h"

namespace mercury {

#define MERCURY_ENUMERATOR(value, text) value,
#define MERCURY_CHOICE_ENUM(name, Enum, CHOICES, default_value, help) \
  enum class Enum { CHOICES(MERCURY_ENUMERATOR) };
#define MERCURY_NO_ENUM(...)
MERCURY_SETTINGS(MERCURY_NO_ENUM, MERCURY_NO_ENUM, MERCURY_CHOICE_ENUM, MERCURY_NO_ENUM)
#undef MERCURY_CHOICE_ENUM
#undef MERCURY_NO_ENUM
#undef MERCURY_ENUMERATOR

// One call's settings, checked; built from an op's arguments by read_options (ops/settings_args.h).
struct Options {
  int64_t layer_id = 0;
#define MERCURY_INT_FIELD(name, default_value, min, max, help) int64_t name = default_value;
#define MERCURY_FLOAT_FIELD(name, default_value, min, max, help) double name = default_value;
#define MERCURY_CHOICE_FIELD(name, Enum, CHOICES, default_value, help) Enum name = Enum::default_value;
#define MERCURY_BOOL_FIELD(name, default_value, help) bool name = default_value;
  MERCURY_SETTINGS(MERCURY_INT_FIELD, MERCURY_FLOAT_FIELD, MERCURY_CHOICE_FIELD, MERCURY_BOOL_FIELD)
#undef MERCURY_INT_FIELD
#undef MERCURY_FLOAT_FIELD
#undef MERCURY_CHOICE_FIELD
#undef MERCURY_BOOL_FIELD
};

// Per choice setting: the text of a value ("reuse"), its index among the setting's choices (what hitlog_table
// stores), and the value of a text (throws std::invalid_argument as check_setting does).
#define MERCURY_CHOICE_FUNCTIONS(name, Enum, CHOICES, default_value, help) \
  const char* choice_name(Enum value);                                    \
  int64_t choice_index(Enum value);                                       \
  void parse_choice(const std::string& setting, const std::string& text, Enum& out);
#define MERCURY_NO_FUNCTIONS(...)
MERCURY_SETTINGS(MERCURY_NO_FUNCTIONS, MERCURY_NO_FUNCTIONS, MERCURY_CHOICE_FUNCTIONS, MERCURY_NO_FUNCTIONS)
#undef MERCURY_CHOICE_FUNCTIONS
#undef MERCURY_NO_FUNCTIONS

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

// The same range checks on values that are already numbers (the op's own arguments); return the value.
int64_t check_setting_value(const std::string& name, int64_t value);
double check_setting_value(const std::string& name, double value);

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

#include "ops/settings_args.h"

#include <c10/util/Exception.h>

#include <stdexcept>

namespace mercury {
namespace {

// Runs a settings-table check; its std::invalid_argument becomes a TORCH_CHECK error naming the op.
template <typename Check>
auto checked(const char* op, Check&& check) {
  try {
    return check();
  } catch (const std::invalid_argument& e) {
    TORCH_CHECK(false, op, ": ", e.what());
  }
}

}  // namespace

size_t settings_arg_count() { return settings_table().size(); }

Options read_options(const char* op, int64_t layer_id, c10::ArrayRef<c10::IValue> settings) {
  TORCH_CHECK(layer_id >= 0, op, ": layer_id must be >= 0, got ", layer_id);
  Options o;
  o.layer_id = layer_id;
  size_t i = 0;
#define MERCURY_READ_INT(name, default_value, min, max, help) \
  o.name = checked(op, [&] { return check_setting_value(#name, settings[i++].toInt()); });
#define MERCURY_READ_FLOAT(name, default_value, min, max, help) \
  o.name = checked(op, [&] { return check_setting_value(#name, settings[i++].toDouble()); });
#define MERCURY_READ_CHOICE(name, Enum, CHOICES, default_value, help) \
  checked(op, [&] { parse_choice(#name, settings[i++].toStringRef(), o.name); });
#define MERCURY_READ_BOOL(name, default_value, help) o.name = settings[i++].toBool();
  MERCURY_SETTINGS(MERCURY_READ_INT, MERCURY_READ_FLOAT, MERCURY_READ_CHOICE, MERCURY_READ_BOOL)
#undef MERCURY_READ_INT
#undef MERCURY_READ_FLOAT
#undef MERCURY_READ_CHOICE
#undef MERCURY_READ_BOOL
  checked(op, [&] { check_setting_combination(o.cache_entries, o.cache_ways); });
  return o;
}

}  // namespace mercury

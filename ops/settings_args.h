// The MERCURY settings part of any mercury op's argument list (layer_id, then the settings in list order: the same
// for conv2d and linear), read and checked in one place.
#pragma once

#include "csrc/settings/settings.h"

#include <ATen/core/ivalue.h>

namespace mercury {

// Reads the settings of one call of `op` ("mercury::conv2d"); every value is checked where it enters and a bad one
// is a TORCH_CHECK error naming the op, the setting and the value.
Options read_options(const char* op, int64_t layer_id, c10::ArrayRef<c10::IValue> settings);

// Number of settings in an op's argument list.
size_t settings_arg_count();

}  // namespace mercury

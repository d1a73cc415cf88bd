// One call of a mercury op as a record of the process-wide hit log (csrc/hitlog/hitlog.h).
#pragma once

#include "csrc/hitlog/hitlog.h"
#include "ops/conv2d_options.h"

#include <cstdint>
#include <vector>

namespace mercury {

// `op` is the record's op text ("conv2d", "linear"); `g` the call's geometry as a convolution (a linear call's is
// linear_as_conv's).
hitlog::Record call_record(const char* op, const ConvGeometry& g, const Options& o, int64_t vectors, int64_t hits,
                           std::vector<uint8_t> hitmap);

// Appends call_record(...) to the hit log.
void log_call(const char* op, const ConvGeometry& g, const Options& o, int64_t vectors, int64_t hits,
              std::vector<uint8_t> hitmap);

}  // namespace mercury

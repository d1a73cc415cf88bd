// Reuse forward on the CPU: MERCURY's approximate output of one call from its MCACHE lookups (only the missed
// vectors are multiplied; a hit takes the result of the vector it matched).
#pragma once

#include "ops/conv2d_options.h"
#include "ops/cpu/call_lookups.h"

#include <ATen/ATen.h>

namespace mercury {

// The output of a reuse-mode call (bias added), in the input's memory format.
at::Tensor reuse_forward(const Conv2dCall& call, const ConvGeometry& g, const CallLookups& lookups);

}  // namespace mercury

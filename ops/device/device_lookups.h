// The MCACHE side of a call on the device path: signatures computed on the call's device (device_signatures.h),
// copied to the host (a few bytes per vector), served there by the CPU kernels' own cache code
// (serve_signatures), and logged through the one record path (call_record) in call order.
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/ATen.h>

namespace mercury {

// Observe: the lookups are served on a host thread after the call returns (LookupWorker), so they overlap the
// device's work; the record still lands in call order. `call`/`g` are what the lookups run on, `record` the
// geometry the record carries (a linear call's 1 x 1 convolution), `op` its op text.
void look_up_later(const char* op, const Conv2dCall& call, const ConvGeometry& g, const ConvGeometry& record);

// Reuse: the lookups before the output (it depends on them; one wait for the device). The record is logged.
struct ReuseMap {
  at::Tensor host;    // [units, positions] int64 (pinned when bound for a device)
  at::Tensor device;  // the same on the call's device
};
ReuseMap look_up_now(const char* op, const Conv2dCall& call, const ConvGeometry& g, const ConvGeometry& record);

}  // namespace mercury

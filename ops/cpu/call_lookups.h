// The MCACHE side of one call on the CPU: the signature of every streamed vector, each unit's stream served in
// lookup order through a fresh MCACHE, and what the reuse paths need from it.
#pragma once

#include "ops/conv2d_options.h"
#include "ops/cpu/mcache.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace mercury {

struct CallLookups {
  int64_t vectors = 0, hits = 0;
  std::vector<uint8_t> hitmap;  // per vector, when the call records it
  // Reuse only. sources[unit][v]: the vector whose result v takes (v itself on a miss); backward needs it.
  at::Tensor sources;
  // Reuse of patch vectors wider than one channel's window: each unit's misses and the slot each vector takes.
  std::vector<CacheAssignment> assignment;
  // Patch vectors of a depthwise layer (one channel per group), reused window by window.
  bool depthwise_reuse = false;
};

CallLookups look_up_call(const Conv2dCall& call, const ConvGeometry& g);

}  // namespace mercury

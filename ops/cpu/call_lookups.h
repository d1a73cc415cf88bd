// The MCACHE side of one call: the signature of every streamed vector, each unit's stream served in lookup order
// through a fresh MCACHE (on the host, whatever device computed the signatures), and what the reuse paths need.
#pragma once

#include "ops/conv2d_options.h"
#include "ops/cpu/mcache.h"
#include "ops/cpu/reuse_support.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace mercury {

struct CallLookups {
  int64_t vectors = 0, hits = 0;
  std::vector<uint8_t> hitmap;  // per vector, when the call records it
  // Reuse only. sources[unit][v]: the vector whose result v takes (v itself on a miss); backward needs it. A host
  // tensor (pinned where the call's tensors are on a device, so its copy there need not wait).
  at::Tensor sources;
  // Reuse of patch vectors wider than one channel's window on the CPU: each unit's misses and the slot each vector
  // takes.
  std::vector<CacheAssignment> assignment;
  // Patch vectors of a depthwise layer (one channel per group), reused window by window (CPU).
  bool depthwise_reuse = false;
};

// The CPU kernels' lookups: signatures computed on the host, each unit's stream served as they come.
CallLookups look_up_call(const Conv2dCall& call, const ConvGeometry& g);

// The lookups of a call with settings `o` and geometry `g` whose signatures are given: sigs[unit * positions + v],
// host memory (the device kernels compute them on the call's device and copy them here). Reuse gets `sources` only
// (no assignment), in pinned memory when pin_sources (bound for a device).
CallLookups serve_signatures(const Options& o, const ConvGeometry& g, bool pin_sources, const uint64_t* sigs);

}  // namespace mercury

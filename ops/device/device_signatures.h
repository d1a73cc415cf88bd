// The signatures of a call's vectors computed where its tensors are, with tensor operations only (no host loop),
// so the device kernels run them on CUDA and, under MERCURY_KERNELS=device, on CPU tensors. The same definitions
// and the same projections as the CPU kernels (ops/cpu/signature.h: project(), the sign scheme's image chunks, the
// kept projection matrices and svd directions): on CPU tensors the bits are the CPU kernels' bits. On a GPU the
// projections round differently (another summation order): a sign bit can differ where a projection lies within
// float rounding of 0, an e2lsh bucket where it lies within rounding of a bucket boundary.
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/ATen.h>

namespace mercury {

// int64 [units, positions] on the input's device: sig[unit][v], v = n * L + l in lookup order; the bits of the
// CPU kernels' uint64 signatures.
at::Tensor device_signatures(const Conv2dCall& call, const ConvGeometry& g);

}  // namespace mercury

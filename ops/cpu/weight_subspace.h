// The top right-singular directions of a layer's weight rows, kept up to date across calls.
//
// The svd signature scheme needs, on every call, the top singular directions of each unit's weight rows. An exact
// SVD per call costs more than the layer's own GEMM during training (a 256 x 2304 weight: ~17 ms), yet between two
// optimizer steps the weights, and so their top subspace, barely move. So the directions are tracked per weight
// tensor:
//   - the same tensor, unchanged since the last call (its version counter and data pointer equal): the stored
//     directions are returned as they are (inference: computed once);
//   - the same tensor, changed in place (an optimizer step bumps its version): one block subspace iteration from
//     the stored basis, oversampled to twice the kept directions, then Rayleigh-Ritz (an SVD of the small
//     [Cout/G, q] projection) to order the directions and read their singular values;
//   - any other tensor, or other shapes/settings: an exact SVD.
// Writing a weight through `.data` bypasses its version counter; such a change is seen on the next optimizer step.
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/ATen.h>

namespace mercury {

// The svd scheme's projection, [units, k, bits] in the weight's dtype and on its device (computed on the host, in
// double, for every device: the CPU and device kernels use the same directions): per unit (group of a patch vector, or input
// channel of a channel vector) the top `bits` right-singular vectors of the unit's weight rows [Cout/G, k] times
// their singular values, so that a vector's projections are its output row's coordinates on the top left-singular
// vectors; zero columns when bits exceeds the rank.
// `weight` is a conv weight [Cout, C/G, kh, kw] or a linear one [N, K] (groups 1).
at::Tensor tracked_weight_directions(const at::Tensor& weight, int64_t groups, VectorKind vector, int64_t bits);

}  // namespace mercury

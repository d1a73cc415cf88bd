// Every schema of the mercury::conv2d operator, in one place. Kernels are registered per dispatch key in
// ops/cpu, ops/meta, ops/autograd (and ops/cuda when torch has CUDA). The hit-log ops live in csrc/hitlog.
#include <torch/library.h>

#define MERCURY_CONV2D_ARGS                                                                          \
  "Tensor input, Tensor weight, Tensor? bias, int[2] stride=1, int[2] padding=0, int[2] dilation=1, " \
  "int groups=1, int layer_id=0, str mode=\"observe\", int sig_bits=20, int cache_entries=1024, "     \
  "int cache_ways=0, str vector=\"patch\", int seed=0, bool record_hitmap=False"

TORCH_LIBRARY(mercury, m) {
  // Calls append to the hit log: CONSERVATIVE keeps TorchScript from merging or dropping them.
  const auto conservative = c10::AliasAnalysisKind::CONSERVATIVE;
  m.def(torch::schema("mercury::conv2d(" MERCURY_CONV2D_ARGS ") -> Tensor", conservative));
  // The forward that autograd calls: also returns, per unit (group or input channel) and vector, the index of
  // the vector whose result was used (itself on a miss). Empty unless mode is "reuse".
  m.def(torch::schema("mercury::_conv2d_forward(" MERCURY_CONV2D_ARGS ") -> (Tensor output, Tensor sources)",
                      conservative));
  m.def(
      "mercury::_conv2d_backward(Tensor grad_output, Tensor input, Tensor weight, Tensor sources, "
      "bool bias_defined, int[2] stride, int[2] padding, int[2] dilation, int groups, str mode, str vector) "
      "-> (Tensor grad_input, Tensor grad_weight, Tensor grad_bias)");
}

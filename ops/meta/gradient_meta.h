// The Meta kernel of every op's gradient (mercury::_<op>_backward): the input's and weight's shapes, and the bias's
// (empty without a bias), whatever the op.
#pragma once

#include <ATen/ATen.h>

#include <tuple>

namespace mercury {

template <typename Call>
std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_meta(const at::Tensor& grad_output, const at::Tensor& sources,
                                                             const Call& call) {
  const at::Tensor& w = call.weight;
  at::Tensor grad_bias = call.bias.has_value() ? at::empty_symint({w.sym_size(0)}, w.options())
                                               : at::empty({0}, w.options());
  return {at::empty_like(call.input), at::empty_like(w), grad_bias};
}

}  // namespace mercury

// The linear layers of a TorchScript graph, for the rewrite pass: aten::linear(input, weight, bias), and
// aten::matmul(input, W) / aten::addmm(bias, input, W) where W is the model's own 2-D [in, out] tensor (GPT-2's
// Conv1D, hand-written projections). A matmul of two activations (attention's scores and weighted values) is no
// MERCURY layer and is left as it is, silently.
#pragma once

#include "csrc/rewrite/rewrite.h"

#include <torch/csrc/jit/ir/ir.h>

#include <string>
#include <vector>

namespace mercury {
namespace rewrite {

bool is_linear_like(const torch::jit::Node* node);

// Replaces `node` (is_linear_like) by mercury::linear(input, weight [out, in], bias, layer_id = `id`) with the
// settings' schema defaults, filling `info`; returns false, leaving it as it is (with a warning where a linear
// layer is left), when its weight is not the model's own.
bool replace_linear(torch::jit::Graph& graph, torch::jit::Node* node, const torch::jit::Module& root, int64_t id,
                    LayerInfo& info, std::vector<std::string>& warnings);

}  // namespace rewrite
}  // namespace mercury

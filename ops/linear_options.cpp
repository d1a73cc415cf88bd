#include "ops/linear_options.h"

#include "ops/operand_checks.h"
#include "ops/settings_args.h"

namespace mercury {
namespace {

constexpr size_t kFixedArgs = 4;  // input, weight, bias, layer_id

template <typename Int>
LinearGeometryOf<Int> check(const LinearCall& call) {
  const at::Tensor& input = call.input;
  const at::Tensor& weight = call.weight;
  TORCH_CHECK(weight.dim() == 2, "mercury::linear: weight must be 2-D [out_features, in_features], got ",
              weight.dim(), "-D with shape ", weight.sym_sizes());
  TORCH_CHECK(input.dim() >= 1, "mercury::linear: input must have at least 1 dim [..., in_features], got a 0-D tensor");
  check_operand_types("mercury::linear", input, weight, call.bias);
  TORCH_CHECK(call.options.vector_kind == VectorKind::Patch,
              "mercury::linear: vector_kind must be \"patch\" (each input row is one vector), got \"",
              choice_name(call.options.vector_kind), "\"");
  LinearGeometryOf<Int> g;
  g.in_features = size_of<Int>(input, input.dim() - 1);
  g.out_features = size_of<Int>(weight, 0);
  TORCH_CHECK(holds(g.in_features == size_of<Int>(weight, 1)), "mercury::linear: input's last dim is ",
              g.in_features, " but weight expects in_features = ", size_of<Int>(weight, 1), " (input shape ",
              input.sym_sizes(), ", weight shape ", weight.sym_sizes(), ")");
  TORCH_CHECK(holds(g.in_features > 0) && holds(g.out_features > 0), "mercury::linear: empty weight ",
              weight.sym_sizes());
  if (call.bias.has_value()) {
    TORCH_CHECK(call.bias->dim() == 1 && holds(size_of<Int>(*call.bias, 0) == g.out_features),
                "mercury::linear: bias must have shape [", g.out_features, "], got ", call.bias->sym_sizes());
  }
  g.rows = Int(1);
  for (int64_t d = 0; d + 1 < input.dim(); ++d) g.rows = g.rows * size_of<Int>(input, d);
  TORCH_CHECK(holds(g.rows > 0), "mercury::linear: input has no rows (shape ", input.sym_sizes(),
              "): there is nothing to look up");
  g.samples = input.dim() >= 3 ? size_of<Int>(input, 0) : g.rows;
  return g;
}

}  // namespace

size_t LinearCall::arg_count() { return kFixedArgs + settings_arg_count(); }

LinearCall LinearCall::read(c10::ArrayRef<c10::IValue> args) {
  TORCH_INTERNAL_ASSERT(args.size() == arg_count(), "mercury::linear: ", args.size(), " arguments, expected ",
                        arg_count());
  LinearCall call;
  call.input = args[0].toTensor();
  call.weight = args[1].toTensor();
  call.bias = args[2].toOptional<at::Tensor>();
  if (call.bias.has_value() && !call.bias->defined()) call.bias = std::nullopt;
  call.options = read_options("mercury::linear", args[3].toInt(), args.slice(kFixedArgs));
  return call;
}

LinearGeometry check_linear(const LinearCall& call) { return check<int64_t>(call); }
SymLinearGeometry check_linear_symbolic(const LinearCall& call) { return check<c10::SymInt>(call); }

std::vector<int64_t> linear_output_sizes(const LinearCall& call, const LinearGeometry& g) {
  std::vector<int64_t> sizes = call.input.sizes().vec();
  sizes.back() = g.out_features;
  return sizes;
}

ConvGeometry linear_as_conv(const LinearGeometry& g) {
  ConvGeometry c;
  c.n = g.samples;
  c.c = g.in_features;
  c.h = g.samples > 0 ? g.rows / g.samples : 0;
  c.w = 1;
  c.out_channels = g.out_features;
  c.kernel_h = c.kernel_w = 1;
  c.out_h = c.h;
  c.out_w = 1;
  c.groups = 1;
  c.stride_h = c.stride_w = 1;
  c.pad_h = c.pad_w = 0;
  c.dilation_h = c.dilation_w = 1;
  return c;
}

ConvGeometry linear_lookup_geometry(const LinearGeometry& g) {
  ConvGeometry c = linear_as_conv(g);
  c.n = 1;
  c.h = c.out_h = g.rows;
  return c;
}

Conv2dCall linear_as_conv_call(const LinearCall& call, const ConvGeometry& c) {
  Conv2dCall conv;
  // [rows, K] viewed as [n, rows / n, 1, K], permuted to NCHW sizes: channels-last strides, no copy.
  conv.input = call.input.reshape({c.n, c.h, 1, c.c}).permute({0, 3, 1, 2});
  conv.weight = call.weight;
  conv.bias = call.bias;
  conv.stride = {1, 1};
  conv.padding = {0, 0};
  conv.dilation = {1, 1};
  conv.groups = 1;
  conv.options = call.options;
  return conv;
}

}  // namespace mercury

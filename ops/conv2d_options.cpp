#include "ops/conv2d_options.h"

#include "ops/operand_checks.h"
#include "ops/settings_args.h"

namespace mercury {

namespace {

constexpr size_t kFixedArgs = 8;  // input, weight, bias, stride, padding, dilation, groups, layer_id

std::array<int64_t, 2> read_pair(const c10::IValue& value, const char* name) {
  const std::vector<int64_t> v = value.toIntVector();
  TORCH_CHECK(v.size() == 2, "mercury::conv2d: ", name, " must have 2 values, got ", v.size());
  return {v[0], v[1]};
}

}  // namespace

size_t Conv2dCall::arg_count() { return kFixedArgs + settings_arg_count(); }

Conv2dCall Conv2dCall::read(c10::ArrayRef<c10::IValue> args) {
  TORCH_INTERNAL_ASSERT(args.size() == arg_count(), "mercury::conv2d: ", args.size(), " arguments, expected ",
                        arg_count());
  Conv2dCall call;
  call.input = args[0].toTensor();
  call.weight = args[1].toTensor();
  call.bias = args[2].toOptional<at::Tensor>();
  if (call.bias.has_value() && !call.bias->defined()) call.bias = std::nullopt;
  call.stride = read_pair(args[3], "stride");
  call.padding = read_pair(args[4], "padding");
  call.dilation = read_pair(args[5], "dilation");
  call.groups = args[6].toInt();
  call.options = read_options("mercury::conv2d", args[7].toInt(), args.slice(kFixedArgs));
  return call;
}

namespace {

template <typename Int>
ConvGeometryOf<Int> check(const Conv2dCall& call) {
  const at::Tensor& input = call.input;
  const at::Tensor& weight = call.weight;
  TORCH_CHECK(input.dim() == 4, "mercury::conv2d: input must be 4-D [N, C, H, W], got ", input.dim(),
              "-D with shape ", input.sym_sizes());
  TORCH_CHECK(weight.dim() == 4, "mercury::conv2d: weight must be 4-D [C_out, C_in/groups, kH, kW], got ",
              weight.dim(), "-D with shape ", weight.sym_sizes());
  check_operand_types("mercury::conv2d", input, weight, call.bias);
  const auto& [stride, padding, dilation] = std::tie(call.stride, call.padding, call.dilation);
  TORCH_CHECK(stride[0] >= 1 && stride[1] >= 1, "mercury::conv2d: stride must be >= 1, got ",
              at::IntArrayRef(stride));
  TORCH_CHECK(padding[0] >= 0 && padding[1] >= 0, "mercury::conv2d: padding must be >= 0, got ",
              at::IntArrayRef(padding));
  TORCH_CHECK(dilation[0] >= 1 && dilation[1] >= 1, "mercury::conv2d: dilation must be >= 1, got ",
              at::IntArrayRef(dilation));
  const int64_t groups = call.groups;
  TORCH_CHECK(groups >= 1, "mercury::conv2d: groups must be >= 1, got ", groups);

  ConvGeometryOf<Int> g;
  g.n = size_of<Int>(input, 0);
  g.c = size_of<Int>(input, 1);
  g.h = size_of<Int>(input, 2);
  g.w = size_of<Int>(input, 3);
  g.out_channels = size_of<Int>(weight, 0);
  g.kernel_h = size_of<Int>(weight, 2);
  g.kernel_w = size_of<Int>(weight, 3);
  g.groups = groups;
  const Int weight_c = size_of<Int>(weight, 1);
  TORCH_CHECK(holds(g.c == weight_c * groups), "mercury::conv2d: input has ", g.c,
              " channels but weight expects C_in/groups * groups = ", weight_c, " * ", groups, " = ",
              weight_c * groups);
  TORCH_CHECK(holds(g.out_channels % groups == 0), "mercury::conv2d: out_channels (", g.out_channels,
              ") must be divisible by groups (", groups, ")");
  TORCH_CHECK(holds(g.out_channels > 0) && holds(g.kernel_h > 0) && holds(g.kernel_w > 0),
              "mercury::conv2d: empty weight ", weight.sym_sizes());
  if (call.bias.has_value()) {
    const at::Tensor& bias = *call.bias;
    TORCH_CHECK(bias.dim() == 1 && holds(size_of<Int>(bias, 0) == g.out_channels),
                "mercury::conv2d: bias must have shape [", g.out_channels, "], got ", bias.sym_sizes());
  }
  g.stride_h = stride[0];
  g.stride_w = stride[1];
  g.pad_h = padding[0];
  g.pad_w = padding[1];
  g.dilation_h = dilation[0];
  g.dilation_w = dilation[1];
  const Int eff_kh = (g.kernel_h - 1) * g.dilation_h + 1;
  const Int eff_kw = (g.kernel_w - 1) * g.dilation_w + 1;
  TORCH_CHECK(holds(g.h + 2 * g.pad_h >= eff_kh) && holds(g.w + 2 * g.pad_w >= eff_kw),
              "mercury::conv2d: padded input ", g.h + 2 * g.pad_h, "x", g.w + 2 * g.pad_w,
              " is smaller than the (dilated) kernel ", eff_kh, "x", eff_kw);
  g.out_h = (g.h + 2 * g.pad_h - eff_kh) / g.stride_h + 1;
  g.out_w = (g.w + 2 * g.pad_w - eff_kw) / g.stride_w + 1;
  return g;
}

}  // namespace

at::Tensor Conv2dCall::exact_output() const {
  return at::conv2d(input, weight, bias, stride, padding, dilation, groups);
}

ConvGeometry check_conv2d(const Conv2dCall& call) { return check<int64_t>(call); }
SymConvGeometry check_conv2d_symbolic(const Conv2dCall& call) { return check<c10::SymInt>(call); }

}  // namespace mercury

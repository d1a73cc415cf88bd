#include "ops/operand_checks.h"

namespace mercury {

void check_operand_types(const char* op, const at::Tensor& input, const at::Tensor& weight,
                         const std::optional<at::Tensor>& bias) {
  TORCH_CHECK(input.scalar_type() == at::kFloat || input.scalar_type() == at::kDouble, op,
              ": input must be float32 or float64, got ", input.scalar_type(),
              input.scalar_type() == at::kBFloat16 || input.scalar_type() == at::kHalf
                  ? " (under torch.autocast(\"cpu\") or torch.autocast(\"cuda\") the op runs in float32 by itself; "
                    "outside it, cast to float32)"
                  : "");
  TORCH_CHECK(weight.scalar_type() == input.scalar_type(), op, ": weight dtype ", weight.scalar_type(),
              " differs from input dtype ", input.scalar_type());
  TORCH_CHECK(weight.device() == input.device(), op, ": weight is on ", weight.device(), " but input is on ",
              input.device());
  if (bias.has_value()) {
    TORCH_CHECK(bias->scalar_type() == input.scalar_type(), op, ": bias dtype ", bias->scalar_type(),
                " differs from input dtype ", input.scalar_type());
    TORCH_CHECK(bias->device() == input.device(), op, ": bias is on ", bias->device(), " but input is on ",
                input.device());
  }
}

}  // namespace mercury

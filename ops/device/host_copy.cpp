#include "ops/device/host_copy.h"

#include <c10/core/impl/VirtualGuardImpl.h>

namespace mercury {

HostCopy::HostCopy(const at::Tensor& tensor) {
  if (tensor.device().is_cpu()) {
    host_ = tensor.contiguous();
    return;
  }
  host_ = at::empty(tensor.sizes(), tensor.options().device(at::kCPU).pinned_memory(true));
  host_.copy_(tensor, /*non_blocking=*/true);
  const c10::impl::VirtualGuardImpl guard(tensor.device().type());
  landed_ = std::make_shared<c10::Event>(tensor.device().type());
  landed_->record(guard.getStream(tensor.device()));
}

void HostCopy::wait() const {
  if (landed_) landed_->synchronize();
}

}  // namespace mercury

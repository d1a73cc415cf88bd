// A device tensor's copy in host memory, started without waiting for the device: the copy goes into pinned memory
// behind the work already queued on the device's current stream, and an event marks when it has landed. A CPU
// tensor is its own copy (nothing to wait for). Device-generic: c10's event and stream interfaces, no CUDA header.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/Event.h>

#include <memory>

namespace mercury {

class HostCopy {
 public:
  explicit HostCopy(const at::Tensor& tensor);
  // Blocks until the copy has landed; then host() may be read.
  void wait() const;
  const at::Tensor& host() const { return host_; }

 private:
  at::Tensor host_;
  std::shared_ptr<c10::Event> landed_;  // none for a CPU tensor
};

}  // namespace mercury

#include "ops/device/device_lookups.h"

#include "csrc/hitlog/hitlog.h"
#include "ops/cpu/call_lookups.h"
#include "ops/cpu/log_call.h"
#include "ops/device/device_signatures.h"
#include "ops/device/host_copy.h"
#include "ops/device/lookup_worker.h"

#include <memory>

namespace mercury {
namespace {

const uint64_t* signature_table(const HostCopy& copy) {
  return reinterpret_cast<const uint64_t*>(copy.host().data_ptr<int64_t>());
}

}  // namespace

void look_up_later(const char* op, const Conv2dCall& call, const ConvGeometry& g, const ConvGeometry& record) {
  // The place in the log first: later calls' records, served sooner, land after this one.
  auto ticket = std::make_shared<hitlog::Ticket>();
  auto copy = std::make_shared<HostCopy>(device_signatures(call, g));
  // The task holds the settings, the geometry and the signatures' host copy, no tensor of the call.
  LookupWorker::instance().submit([ticket, copy, op, o = call.options, g, record] {
    copy->wait();
    CallLookups lookups = serve_signatures(o, g, /*pin_sources=*/false, signature_table(*copy));
    ticket->complete(call_record(op, record, o, lookups.vectors, lookups.hits, std::move(lookups.hitmap)));
  });
}

ReuseMap look_up_now(const char* op, const Conv2dCall& call, const ConvGeometry& g, const ConvGeometry& record) {
  hitlog::Ticket ticket;
  const HostCopy copy(device_signatures(call, g));
  copy.wait();
  const at::Device device = call.input.device();
  CallLookups lookups = serve_signatures(call.options, g, /*pin_sources=*/!device.is_cpu(), signature_table(copy));
  ticket.complete(call_record(op, record, call.options, lookups.vectors, lookups.hits, std::move(lookups.hitmap)));
  return {lookups.sources, lookups.sources.to(device, /*non_blocking=*/true)};
}

}  // namespace mercury

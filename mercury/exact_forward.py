"""The exact twin of a profiled forward (mercury.profile's compare_exact): the same model on the same inputs with
reuse off (every layer runs its module's own forward), under no_grad, from the random state the profiled forward
started from (so dropout draws the same masks), on copies of the buffers in training mode (BatchNorm's running
statistics: the model's own buffers are left untouched, not even written back, as autograd may hold them), and the random state after the profiled forward restored, so the run goes on as if the
exact forward had not happened."""
from typing import Optional, Tuple

import torch


def rng_state(device: torch.device) -> Tuple[torch.Tensor, Optional[torch.Tensor], torch.device]:
    """The CPU's random state, the device's when it is a CUDA device, and the device."""
    return torch.get_rng_state(), torch.cuda.get_rng_state(device) if device.type == "cuda" else None, device


def exact_forward(model, layers, forward, args, kwargs, state):
    """forward(*args, **kwargs) with every ProfiledLayer of `layers` exact; see the module doc."""
    cpu_state, device_state, device = state
    devices = [device] if device_state is not None else []
    saved = [(m, name, b) for m in model.modules() for name, b in m._buffers.items() if b is not None] \
        if model.training else []
    for module, name, buffer in saved:
        module._buffers[name] = buffer.detach().clone()
    for layer in layers:
        layer.exact = True
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=devices):
            torch.set_rng_state(cpu_state)
            if device_state is not None:
                torch.cuda.set_rng_state(device_state, device)
            return forward(*args, **kwargs)
    finally:
        for layer in layers:
            layer.exact = False
        for module, name, buffer in saved:
            module._buffers[name] = buffer

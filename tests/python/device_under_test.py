"""The device the op's tests put their tensors on: the CPU here and in CI; benchmarks/gpu_check.sh runs the same
tests on a GPU with MERCURY_TEST_DEVICE=cuda. Inputs are made on the CPU (seeded generators) and moved; references
are computed on the CPU and compared with the results moved back."""
import os

import torch

DEVICE = torch.device(os.environ.get("MERCURY_TEST_DEVICE", "cpu"))


def on_device(*tensors):
    """Each tensor (or None) moved to DEVICE, keeping requires_grad leaves leaves."""
    moved = []
    for t in tensors:
        if t is None:
            moved.append(None)
        else:
            moved.append(t.detach().to(DEVICE).requires_grad_(t.requires_grad))
    return moved

"""Which torch mercury runs on, and what torch.compile must know about the op.

``check_torch()`` refuses a torch older than the oldest supported one, and a library built against another torch
(a stale build: the ABI of the C++ library is tied to the exact torch it was compiled with) before it is loaded.
``check_kernels()`` reads which kernels CPU tensors take (MERCURY_KERNELS) and refuses an unknown choice;
``cuda_kernels()`` asks the dispatcher whether the ops have CUDA kernels.
``register_effects()`` marks the logging ops as effectful, so torch.compile keeps every call, in order, instead of
merging identical calls or dropping one whose output is unused: the hit log is a side effect.
"""
import atexit
import importlib.abc
import importlib.machinery
import os
import sys

import torch

# The oldest torch with everything used here (torch.library.opcheck/register_fake, effectful custom ops,
# torch.export.save/load of custom ops); tested in CI: TESTED_TORCH.
MIN_TORCH = (2, 6)
TESTED_TORCH = "2.13.0 (CPU build) and 2.14.1 (CUDA build)"
REBUILD = "bash tests/build.sh (from the checkout; or pip install . again)"


def _version_tuple(version: str):
    return tuple(int(p) for p in version.split("+")[0].split(".")[:2])


def check_torch(library_dir: str) -> None:
    found = torch.__version__
    if _version_tuple(found) < MIN_TORCH:
        raise ImportError(f"mercury needs torch >= {MIN_TORCH[0]}.{MIN_TORCH[1]} (tested on {TESTED_TORCH}); "
                          f"found torch {found} at {os.path.dirname(torch.__file__)}")
    stamp = os.path.join(library_dir, "torch_version.txt")
    if os.path.exists(stamp):
        with open(stamp) as f:
            built = f.read().strip()
        if built != found:
            raise ImportError(f"mercury's C++ libraries in {library_dir} were built against torch {built}, but "
                              f"torch {found} is imported: rebuild them: {REBUILD}")


def load_library(path: str) -> None:
    if not os.path.exists(path):
        raise ImportError(f"mercury: {path} is missing. Build it first: {REBUILD}")
    try:
        torch.ops.load_library(path)
    except OSError as e:  # undefined symbols: built against another torch
        raise ImportError(f"mercury: {path} does not load with torch {torch.__version__} ({e}); it was built "
                          f"against another torch: rebuild it: {REBUILD}") from None


def check_kernels() -> str:
    """Which kernels CPU tensors take, from MERCURY_KERNELS: 'cpu' (the CPU kernels; the default) or 'device' (the
    device kernels, the code CUDA tensors take). Anything else stops the import, naming the accepted values."""
    try:
        return torch.ops.mercury.kernels_for_cpu_tensors()
    except RuntimeError as e:
        raise ImportError(f"mercury: {str(e).splitlines()[0]}") from None


def cuda_kernels() -> bool:
    """Whether the ops have kernels for CUDA tensors (the device kernels: every build has them; they run where
    torch is a CUDA build and a GPU is present)."""
    return all(torch._C._dispatch_has_kernel_for_dispatch_key(f"mercury::{op}", "CUDA") for op in ("conv2d", "linear"))


def wait_for_records_at_exit() -> None:
    """Records of calls whose lookups still run on host threads (the device kernels' observe mode) land before the
    interpreter, and a device's runtime, go away."""
    atexit.register(torch.ops.mercury.hitlog_wait)


def register_effects() -> None:
    from torch._library.effects import EffectType
    for op in ("mercury::conv2d", "mercury::_conv2d_forward"):
        torch.library._register_effectful_op(op, EffectType.ORDERED)
    # Inductor's peak-memory reordering (torch 2.13) moves an effectful call whose outputs are unused past the
    # next one, although the effect tokens order them (seen: layer 7's log record after layer 1's). Turned off so
    # the hit log keeps eager order (tests/python/test_compile.py); it changes peak memory, never results.
    # torch._inductor.config takes ~1.5 s to import, so it is set when something imports it, not here.
    _after_import("torch._inductor.config", _keep_effect_order)


def _keep_effect_order(inductor_config) -> None:
    inductor_config.reorder_for_peak_memory = False


class _AfterImportFinder(importlib.abc.MetaPathFinder):
    """Finds module `name` as the other finders would, and runs `action(module)` once it has executed."""

    def __init__(self, name: str, action) -> None:
        self.name, self.action = name, action

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            execute = spec.loader.exec_module

            def execute_then_act(module):
                execute(module)
                self.action(module)

            spec.loader.exec_module = execute_then_act
        return spec


def _after_import(name: str, action) -> None:
    if name in sys.modules:
        action(sys.modules[name])
    else:
        sys.meta_path.insert(0, _AfterImportFinder(name, action))

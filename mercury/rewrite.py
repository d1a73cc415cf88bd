"""Rewrite a TorchScript module so that every 2-D convolution runs through mercury::conv2d."""
from typing import Dict, List, Mapping, Optional, Tuple, Union

import torch

from mercury import _C

_SETTINGS = ("mode", "sig_bits", "cache_entries", "cache_ways", "vector", "seed", "record_hitmap")


def _as_strings(settings: Mapping, where: str) -> Dict[str, str]:
    unknown = set(settings) - set(_SETTINGS)
    if unknown:
        raise ValueError(f"mercury.rewrite: unknown setting(s) {sorted(unknown)} in {where}; known: {_SETTINGS}")
    return {k: str(v) for k, v in settings.items()}


def rewrite(module: torch.jit.ScriptModule, *, per_layer: Optional[Mapping[Union[int, str], Mapping]] = None,
            freeze: bool = True, **settings) -> Tuple[torch.jit.ScriptModule, List[Dict], List[str]]:
    """Swap every 2-D conv of a scripted, traced or loaded module for mercury::conv2d.

    settings: defaults for every layer (mode, sig_bits, cache_entries, cache_ways, vector, seed,
    record_hitmap). per_layer: overrides keyed by layer id (execution order) or qualified module name.
    freeze: freeze first (weights become constants, branches on constant attributes are resolved so that
    every conv appears once in execution order); freeze=False keeps the module trainable.

    Returns (rewritten module, layer table: one dict per layer id, warnings about convs left as they were).
    The input module is not modified.
    """
    if not isinstance(module, torch.jit.ScriptModule):
        raise TypeError(f"mercury.rewrite needs a TorchScript module (torch.jit.script/trace/load), "
                        f"got {type(module).__name__}; for an eager nn.Module use mercury.convert")
    by_id, by_name = {}, {}
    for key, overrides in (per_layer or {}).items():
        target = by_id if isinstance(key, int) else by_name
        target[key] = _as_strings(overrides, f"per_layer[{key!r}]")
    cpp_module, layers, warnings = _C.rewrite(module._c, _as_strings(settings, "settings"), by_id, by_name, freeze)
    return torch.jit._recursive.wrap_cpp_module(cpp_module), layers, warnings

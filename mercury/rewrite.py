"""Rewrite a TorchScript module so that every 2-D convolution runs through mercury::conv2d and every linear layer
through mercury::linear."""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import importlib

import torch

from mercury import settings as mercury_settings
from mercury.order import DEFAULT_KINDS, check_kinds


def _bindings():
    """mercury._C, loaded on first use, so that the op and convert work where only the op library is built."""
    try:
        return importlib.import_module("mercury._C")
    except ImportError as e:
        from mercury import BUILD_HINT
        raise ImportError(f"mercury.rewrite needs the mercury._C bindings, which are not built or do not load ({e}). "
                          f"Build them: {BUILD_HINT}") from e


def _as_strings(settings: Mapping, where: str) -> Dict[str, str]:
    checked = mercury_settings.check(settings, f"mercury.rewrite {where}")
    return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in checked.items()}


def rewrite(module, example_inputs=None, *, per_layer: Optional[Mapping[Union[int, str], Mapping]] = None,
            freeze: bool = True, kinds: Sequence[str] = DEFAULT_KINDS,
            **settings) -> Tuple[torch.jit.ScriptModule, List[Dict], List[str]]:
    """Swap every 2-D conv of a model for mercury::conv2d and every linear layer for mercury::linear (`kinds`:
    which of 'conv2d', 'linear'; one numbering for both). In TorchScript a linear layer is aten::linear, or
    aten::matmul / aten::addmm whose second operand is the model's own 2-D weight; a matmul of two activations
    (attention) is left as it is.

    module: a scripted, traced or loaded TorchScript module (the C++ pass below); a torch.export
    ExportedProgram, or an nn.Module with `example_inputs` (exported with torch.export first): both rewritten by
    mercury.export.rewrite_exported, which returns an ExportedProgram with the same layer ids and names.

    settings: defaults for every layer (mercury.settings.table()). per_layer: overrides keyed by layer id
    (execution order) or qualified module name; one that matches no layer is an error.
    freeze: freeze first (weights become constants, branches on constant attributes are resolved so that
    every conv appears once in execution order); freeze=False keeps the module trainable.

    Returns (rewritten module, layer table: one dict per layer id, warnings about layers left as they were).
    The input module is not modified.
    """
    if isinstance(module, torch.export.ExportedProgram):
        from mercury.export import rewrite_exported
        return rewrite_exported(module, per_layer=per_layer, kinds=kinds, **settings)
    if isinstance(module, torch.nn.Module) and not isinstance(module, torch.jit.ScriptModule):
        if example_inputs is None:
            raise TypeError(f"mercury.rewrite of an eager {type(module).__name__} needs example_inputs (it is "
                            f"exported with torch.export); or use mercury.convert to swap its nn.Conv2d / nn.Linear modules")
        from mercury.export import export_and_rewrite
        return export_and_rewrite(module, example_inputs, per_layer=per_layer, kinds=kinds, **settings)
    if not isinstance(module, torch.jit.ScriptModule):
        raise TypeError(f"mercury.rewrite needs a TorchScript module, an ExportedProgram or an nn.Module with "
                        f"example_inputs, got {type(module).__name__}")
    by_id, by_name = {}, {}
    for key, overrides in (per_layer or {}).items():
        target = by_id if isinstance(key, int) else by_name
        target[key] = _as_strings(overrides, f"per_layer[{key!r}]")
    try:
        cpp_module, layers, warnings = _bindings().rewrite(module._c, _as_strings(settings, "settings"), by_id,
                                                           by_name, freeze, list(check_kinds(kinds, "mercury.rewrite")))
    except ValueError as e:  # std::invalid_argument from the pass (e.g. an override for a layer that is not there)
        raise ValueError(f"mercury.rewrite: {e}") from None
    return torch.jit._recursive.wrap_cpp_module(cpp_module), layers, warnings

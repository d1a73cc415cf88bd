"""The execution order of a model's convolutions: the one collector that mercury.convert, the topology export
and the study use, so layer ids agree everywhere (and with mercury.rewrite, which numbers the scripted graph's
convs in graph order: the same order for models without data-dependent branches)."""
from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch
import torch.nn as nn


@dataclass
class ConvCall:
    """One nn.Conv2d call seen during a forward pass."""
    layer_id: int            # call index in execution order
    module_name: str         # qualified module name
    call: int                # 0 for the module's first call in the pass, 1 for its second, ...
    module: nn.Conv2d
    input_shape: Tuple[int, ...]
    output_shape: Tuple[int, ...]
    input: Optional[torch.Tensor] = None  # the activation it received, when asked for (keep_inputs)

    @property
    def name(self) -> str:
        """The module name, with '#<call>' for calls after the first (two ids for a module called twice)."""
        return self.module_name if self.call == 0 else f"{self.module_name}#{self.call}"


def conv_calls(model: nn.Module, example: torch.Tensor, keep_inputs: bool = False) -> List[ConvCall]:
    """Run one forward pass of `model` on `example` (no grad, eval mode; every module's training flag is restored)
    and return its nn.Conv2d calls in execution order (MercuryConv2d included: it is an nn.Conv2d).
    keep_inputs: also keep each call's input tensor (for benchmarks that replay layers on real activations)."""
    names = {m: n for n, m in model.named_modules()}
    calls: List[ConvCall] = []
    per_module = {}

    def hook(module, inputs, output):
        name = names[module]
        k = per_module.get(name, 0)
        per_module[name] = k + 1
        calls.append(ConvCall(len(calls), name, k, module, tuple(inputs[0].shape), tuple(output.shape),
                              inputs[0] if keep_inputs else None))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            model(example)
    finally:
        for h in handles:
            h.remove()
        for m, training in modes:
            m.training = training
    return calls

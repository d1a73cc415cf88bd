"""A model's own nn.Conv2d / nn.Linear module run as a MERCURY layer without being replaced: its `forward` is
shadowed by an instance attribute that calls mercury::conv2d / mercury::linear on the module's own (current) weight
and bias, and removing the attribute restores the module exactly (same object, parameters, hooks, device, mode).
This is how mercury.profile takes any model, a Hugging Face one or a user's own, for the length of a block; the
module's forward hooks keep firing around the MERCURY call.
"""
from typing import Callable, Mapping, Optional

import torch
import torch.nn as nn

from mercury.convert import _MercurySettings, conv_padding
from mercury.order import LayerCall, layer_kind

ABSENT = object()  # "the module had no instance-level forward"


def restore_forward(module: nn.Module, saved) -> None:
    """Put back the instance-level forward a module had (`saved`), or remove the shadowing one (ABSENT)."""
    if saved is ABSENT:
        module.__dict__.pop("forward", None)
    else:
        module.forward = saved


class ProfiledLayer(_MercurySettings):
    """One layer of a profiled model: its name, module, kind, layer id (None until numbered) and MERCURY settings
    (plain attributes, as on mercury.MercuryConv2d: `mode`, `sig_bits`, ...; `configure(**settings)` checks them),
    so mercury.adaptive.AdaptivePolicy.apply works on it. `exact` runs the module's own forward instead."""

    def __init__(self, name: str, module: nn.Module, settings: Mapping, on_call: Callable):
        self.name, self.module, self.kind = name, module, layer_kind(module)
        self._init_settings(None, settings)
        self.exact = False
        self.first_call: Optional[LayerCall] = None   # geometry of the first call (the topology row)
        self._on_call = on_call                         # on_call(layer, input, output) after every MERCURY call
        self._conv_args = None
        if self.kind == "conv2d":
            m = module
            self._conv_args = ([int(m.stride[0]), int(m.stride[1])], conv_padding(m, f"mercury.profile: {name}"),
                               [int(m.dilation[0]), int(m.dilation[1])], int(m.groups))
        self._saved_forward, self.attached = ABSENT, False

    def attach(self) -> None:
        """Shadow the module's forward (keeping an instance-level forward it may already have, to restore)."""
        self._saved_forward = self.module.__dict__.get("forward", ABSENT)
        self._own_forward = self.module.forward
        self.module.forward = self.forward
        self.attached = True

    def detach(self) -> None:
        """Undo attach (nothing when not attached)."""
        if self.attached:
            restore_forward(self.module, self._saved_forward)
            self.attached = False

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: A002 (nn.Conv2d / nn.Linear name it so)
        if self.exact:
            return self._own_forward(input)
        if self.layer_id is None:
            self._on_call(self, None, None)  # numbers the layer (execution order) before its first call
        m = self.module
        if self._conv_args is None:
            out = torch.ops.mercury.linear(input, m.weight, m.bias, self.layer_id, **self.settings)
        else:
            stride, padding, dilation, groups = self._conv_args
            out = torch.ops.mercury.conv2d(input, m.weight, m.bias, stride, padding, dilation, groups, self.layer_id,
                                           **self.settings)
        if self.first_call is None:
            self.first_call = LayerCall(self.layer_id, self.name, 0, m, tuple(input.shape), tuple(out.shape), self.kind)
        self._on_call(self, input, out)
        return out

    def __repr__(self) -> str:
        return f"ProfiledLayer({self.name!r}, {self.kind}, layer_id={self.layer_id}, mode={self.mode!r})"

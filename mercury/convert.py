"""Eager counterpart of mercury.rewrite: swap every nn.Conv2d of a module for MercuryConv2d."""
from typing import Dict, List, Mapping, Optional, Union

import torch
import torch.nn as nn


_DEFAULTS = dict(mode="observe", sig_bits=20, cache_entries=1024, cache_ways=0, vector="patch", seed=0,
                 record_hitmap=False)


class MercuryConv2d(nn.Conv2d):
    """An nn.Conv2d (same parameters, same state_dict keys) that runs through mercury::conv2d."""

    __jit_unused_properties__ = ["settings"]

    def __init__(self, *args, layer_id: int = 0, **settings):
        super().__init__(*args)
        self.layer_id = layer_id
        self.configure(**dict(_DEFAULTS, **settings))

    def configure(self, **settings) -> None:
        """Change MERCURY settings (mode, sig_bits, cache_entries, cache_ways, vector, seed, record_hitmap)."""
        unknown = set(settings) - set(_DEFAULTS)
        if unknown:
            raise ValueError(f"MercuryConv2d: unknown setting(s) {sorted(unknown)}; known: {sorted(_DEFAULTS)}")
        for key, value in settings.items():  # plain typed attributes, so the module scripts
            setattr(self, key, type(_DEFAULTS[key])(value))

    @property
    def settings(self) -> Dict:
        return {key: getattr(self, key) for key in _DEFAULTS}

    @classmethod
    def from_conv(cls, conv: nn.Conv2d, layer_id: int, **settings) -> "MercuryConv2d":
        if conv.padding_mode != "zeros":
            raise ValueError(f"MercuryConv2d: padding_mode={conv.padding_mode!r} is not supported (zeros only)")
        padding = conv.padding
        if isinstance(padding, str):  # 'valid' or 'same' (stride 1): explicit symmetric padding
            padding = [0, 0] if padding == "valid" else [d * (k - 1) // 2 for d, k in zip(conv.dilation,
                                                                                          conv.kernel_size)]
            if conv.padding == "same" and any(d * (k - 1) % 2 for d, k in zip(conv.dilation, conv.kernel_size)):
                raise ValueError("MercuryConv2d: padding='same' with an even kernel needs uneven padding")
        new = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, tuple(padding),
                  conv.dilation, conv.groups, conv.bias is not None, layer_id=layer_id, **settings)
        new.weight = conv.weight
        new.bias = conv.bias
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.mercury.conv2d(
            x, self.weight, self.bias, [self.stride[0], self.stride[1]], [self.padding[0], self.padding[1]],
            [self.dilation[0], self.dilation[1]], self.groups, self.layer_id, self.mode, self.sig_bits,
            self.cache_entries, self.cache_ways, self.vector, self.seed, self.record_hitmap)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", layer_id={self.layer_id}, " + ", ".join(
            f"{k}={v!r}" for k, v in self.settings.items())


def _execution_order(module: nn.Module, example: torch.Tensor) -> List[str]:
    order: List[str] = []
    hooks = [m.register_forward_pre_hook(lambda mod, inp, name=name: order.append(name))
             for name, m in module.named_modules() if isinstance(m, nn.Conv2d)]
    was_training = module.training
    try:
        module.eval()
        with torch.no_grad():
            module(example)
    finally:
        module.train(was_training)
        for h in hooks:
            h.remove()
    seen = set()
    return [n for n in order if not (n in seen or seen.add(n))]


def convert(module: nn.Module, example: Optional[torch.Tensor] = None,
            per_layer: Optional[Mapping[Union[int, str], Mapping]] = None, **settings) -> List[Dict]:
    """Replace, in place, every nn.Conv2d of `module` by a MercuryConv2d; returns the layer table.

    Layer ids follow execution order when `example` (an input batch) is given — the order mercury.rewrite
    and models.topology use — otherwise module registration order. A module called twice keeps one id.
    per_layer: settings overrides keyed by layer id or qualified module name.
    """
    convs = {name: m for name, m in module.named_modules() if isinstance(m, nn.Conv2d)
             and not isinstance(m, MercuryConv2d)}
    names = _execution_order(module, example) if example is not None else list(convs)
    names += [n for n in convs if n not in names]  # convs the example did not reach
    table = []
    for layer_id, name in enumerate(names):
        layer_settings = dict(settings)
        for key in (name, layer_id):
            layer_settings.update((per_layer or {}).get(key, {}))
        new = MercuryConv2d.from_conv(convs[name], layer_id, **layer_settings)
        parent_name, _, child = name.rpartition(".")
        setattr(module.get_submodule(parent_name) if parent_name else module, child, new)
        table.append(dict(id=layer_id, name=name, **new.settings))
    return table

"""Eager counterpart of mercury.rewrite: swap every nn.Conv2d of a module for MercuryConv2d."""
from typing import Dict, List, Mapping, Optional, Union

import torch
import torch.nn as nn

from mercury import settings as mercury_settings
from mercury.order import conv_calls


class MercuryConv2d(nn.Conv2d):
    """An nn.Conv2d (same parameters, same state_dict keys) that runs through mercury::conv2d."""

    __jit_unused_properties__ = ["settings"]

    def __init__(self, *args, layer_id: int = 0, **settings):
        super().__init__(*args)
        self.layer_id = layer_id
        self.configure(**dict(mercury_settings.defaults(), **settings))

    def configure(self, **settings) -> None:
        """Change MERCURY settings (mercury.settings.table(): mode, sig_bits, ...); values are checked now."""
        # Checked together with the current ones, so rules across settings (cache_ways | cache_entries) apply.
        checked = mercury_settings.check(dict(getattr(self, "settings", {}), **settings), "MercuryConv2d")
        for key in settings:  # plain typed attributes, so the module scripts
            setattr(self, key, checked[key])

    @property
    def settings(self) -> Dict:
        return {key: getattr(self, key) for key in mercury_settings.names() if hasattr(self, key)}

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
            [self.dilation[0], self.dilation[1]], self.groups, self.layer_id, mode=self.mode,
            sig_bits=self.sig_bits, cache_entries=self.cache_entries, cache_ways=self.cache_ways,
            vector_kind=self.vector_kind, seed=self.seed, signature=self.signature, bucket_width=self.bucket_width,
            record_hitmap=self.record_hitmap)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", layer_id={self.layer_id}, " + ", ".join(
            f"{k}={v!r}" for k, v in self.settings.items())


def convert(module: nn.Module, example: Optional[torch.Tensor] = None,
            per_layer: Optional[Mapping[Union[int, str], Mapping]] = None, **settings) -> List[Dict]:
    """Replace, in place, every nn.Conv2d of `module` by a MercuryConv2d; returns the layer table.

    Layer ids follow execution order when `example` (an input batch) is given — the order mercury.rewrite
    and mercury.topology use — otherwise module registration order. A module called twice keeps one id.
    per_layer: settings overrides keyed by layer id or qualified module name.
    """
    convs = {name: m for name, m in module.named_modules() if isinstance(m, nn.Conv2d)
             and not isinstance(m, MercuryConv2d)}
    names = []
    if example is not None:
        for call in conv_calls(module, example):
            if call.module_name not in names:  # a module called twice keeps its first id
                names.append(call.module_name)
    names += [n for n in convs if n not in names]  # convs the example did not reach
    unknown = [k for k in (per_layer or {}) if k not in names and not (isinstance(k, int) and 0 <= k < len(names))]
    if unknown:
        raise ValueError(f"mercury.convert: per_layer names layer(s) {unknown} that the model does not have "
                         f"(ids 0..{len(names) - 1}, or names such as {names[:3]})")
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


def mercury_layers(model: nn.Module) -> List[MercuryConv2d]:
    """The MercuryConv2d modules of a converted model, sorted by layer id."""
    return sorted((m for m in model.modules() if isinstance(m, MercuryConv2d)), key=lambda m: m.layer_id)


def configure_layers(model: nn.Module, **settings) -> None:
    """MercuryConv2d.configure on every converted layer of `model`."""
    for m in mercury_layers(model):
        m.configure(**settings)

"""Eager counterpart of mercury.rewrite: swap every nn.Conv2d of a module for MercuryConv2d and every nn.Linear
for MercuryLinear (the kinds to convert are an option)."""
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import torch
import torch.nn as nn

from mercury import settings as mercury_settings
from mercury.order import DEFAULT_KINDS, check_kinds, layer_calls, layer_kind


class _MercurySettings:
    """The MERCURY settings of a converted layer, as plain typed attributes (so the module scripts)."""

    __jit_unused_properties__ = ["settings"]

    def _init_settings(self, layer_id: int, settings: Mapping) -> None:
        self.layer_id = layer_id
        self.configure(**dict(mercury_settings.defaults(), **settings))

    def configure(self, **settings) -> None:
        """Change MERCURY settings (mercury.settings.table(): mode, sig_bits, ...); values are checked now."""
        # Checked together with the current ones, so rules across settings (cache_ways | cache_entries) apply.
        checked = mercury_settings.check(dict(getattr(self, "settings", {}), **settings), type(self).__name__)
        for key in settings:
            setattr(self, key, checked[key])

    @property
    def settings(self) -> Dict:
        return {key: getattr(self, key) for key in mercury_settings.names() if hasattr(self, key)}


def conv_padding(conv: nn.Conv2d, where: str) -> List[int]:
    """The explicit symmetric [pad_h, pad_w] mercury::conv2d takes for `conv` ('valid' and 'same' included);
    ValueError (prefixed by `where`) for what the op cannot do: padding modes other than zeros, uneven 'same'."""
    if conv.padding_mode != "zeros":
        raise ValueError(f"{where}: padding_mode={conv.padding_mode!r} is not supported (zeros only)")
    if not isinstance(conv.padding, str):
        return [int(conv.padding[0]), int(conv.padding[1])]
    if conv.padding == "valid":
        return [0, 0]
    if any(d * (k - 1) % 2 for d, k in zip(conv.dilation, conv.kernel_size)):
        raise ValueError(f"{where}: padding='same' with an even kernel needs uneven padding")
    return [d * (k - 1) // 2 for d, k in zip(conv.dilation, conv.kernel_size)]


class MercuryConv2d(_MercurySettings, nn.Conv2d):
    """An nn.Conv2d (same parameters, same state_dict keys) that runs through mercury::conv2d."""

    __jit_unused_properties__ = ["settings"]

    def __init__(self, *args, layer_id: int = 0, **settings):
        nn.Conv2d.__init__(self, *args)
        self._init_settings(layer_id, settings)

    @classmethod
    def from_conv(cls, conv: nn.Conv2d, layer_id: int, **settings) -> "MercuryConv2d":
        padding = conv_padding(conv, "MercuryConv2d")
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
        return _extra_repr(self, nn.Conv2d.extra_repr(self))


class MercuryLinear(_MercurySettings, nn.Linear):
    """An nn.Linear (same parameters, same state_dict keys) that runs through mercury::linear: every row of the
    input (each token of a sequence) is one MERCURY vector. vector_kind must stay 'patch'."""

    __jit_unused_properties__ = ["settings"]

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, layer_id: int = 0, **settings):
        nn.Linear.__init__(self, in_features, out_features, bias)
        self._init_settings(layer_id, settings)

    @classmethod
    def from_linear(cls, linear: nn.Linear, layer_id: int, **settings) -> "MercuryLinear":
        new = cls(linear.in_features, linear.out_features, linear.bias is not None, layer_id=layer_id, **settings)
        new.weight = linear.weight
        new.bias = linear.bias
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.mercury.linear(
            x, self.weight, self.bias, self.layer_id, mode=self.mode, sig_bits=self.sig_bits,
            cache_entries=self.cache_entries, cache_ways=self.cache_ways, vector_kind=self.vector_kind,
            seed=self.seed, signature=self.signature, bucket_width=self.bucket_width,
            record_hitmap=self.record_hitmap)

    def extra_repr(self) -> str:
        return _extra_repr(self, nn.Linear.extra_repr(self))


def _extra_repr(layer: _MercurySettings, base: str) -> str:
    return base + f", layer_id={layer.layer_id}, " + ", ".join(f"{k}={v!r}" for k, v in layer.settings.items())


_CONVERTED = (MercuryConv2d, MercuryLinear)


def _converted(module: nn.Module, layer_id: int, settings: Mapping) -> nn.Module:
    if layer_kind(module) == "conv2d":
        return MercuryConv2d.from_conv(module, layer_id, **settings)
    return MercuryLinear.from_linear(module, layer_id, **settings)


def convert(module: nn.Module, example: Any = None, per_layer: Optional[Mapping[Union[int, str], Mapping]] = None,
            kinds: Sequence[str] = DEFAULT_KINDS, **settings) -> nn.Module:
    """Replace, in place, every nn.Conv2d of `module` by a MercuryConv2d and every nn.Linear by a MercuryLinear
    (`kinds`: which of 'conv2d', 'linear' to convert; the convolutions by default, mercury.order.ALL_KINDS for
    both); returns the module (as torch's in-place conversions do), whose layer table is layer_table(module). One
    numbering for both kinds. To run a model as MERCURY layers only for a while (and study it), mercury.profile
    does it without replacing anything.

    >>> import torch, mercury
    >>> net = mercury.convert(torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.Conv2d(8, 4, 3)),
    ...                       example=torch.randn(1, 3, 8, 8), mode="reuse", per_layer={"2": {"sig_bits": 12}})
    >>> [(row["id"], row["name"], row["kind"], row["sig_bits"]) for row in mercury.layer_table(net)]
    [(0, '0', 'conv2d', 20), (1, '2', 'conv2d', 12)]

    Layer ids follow execution order when `example` is given (an input batch; a tuple of inputs, or a dict of
    keyword inputs such as a tokenizer's batch) — the order mercury.rewrite and mercury.topology use — otherwise
    module registration order. A module called twice keeps one id.
    per_layer: settings overrides keyed by layer id or qualified module name.
    """
    kinds = check_kinds(kinds, "mercury.convert")
    layers = {name: m for name, m in module.named_modules() if layer_kind(m) in kinds
              and not isinstance(m, _CONVERTED)}
    if not layers:
        others = sorted({layer_kind(m) for m in module.modules()} - {None} - set(kinds))
        hint = f" (it has {' and '.join(others)} layers: pass kinds=mercury.order.ALL_KINDS)" if others else ""
        raise ValueError(f"mercury.convert: {type(module).__name__} has no layer of kinds {list(kinds)} to convert"
                         + hint)
    names = []
    if example is not None:
        for call in layer_calls(module, example, kinds):
            if call.module_name not in names and call.module_name in layers:  # a module called twice: first id
                names.append(call.module_name)
    names += [n for n in layers if n not in names]  # layers the example did not reach
    unknown = [k for k in (per_layer or {}) if k not in names and not (isinstance(k, int) and 0 <= k < len(names))]
    if unknown:
        raise ValueError(f"mercury.convert: per_layer names layer(s) {unknown} that the model does not have "
                         f"(ids 0..{len(names) - 1}, or names such as {names[:3]})")
    for layer_id, name in enumerate(names):
        layer_settings = dict(settings)
        for key in (name, layer_id):
            layer_settings.update((per_layer or {}).get(key, {}))
        new = _converted(layers[name], layer_id, layer_settings)
        parent_name, _, child = name.rpartition(".")
        setattr(module.get_submodule(parent_name) if parent_name else module, child, new)
    return module


def layer_table(model: nn.Module) -> List[Dict]:
    """The converted layers of `model`, by layer id: {id, name (qualified module name), kind, settings...}."""
    rows = [dict(id=m.layer_id, name=name, kind=layer_kind(m), **m.settings) for name, m in model.named_modules()
            if isinstance(m, _CONVERTED)]
    return sorted(rows, key=lambda row: row["id"])


def mercury_layers(model: nn.Module) -> List[nn.Module]:
    """The MercuryConv2d and MercuryLinear modules of a converted model, sorted by layer id."""
    return sorted((m for m in model.modules() if isinstance(m, _CONVERTED)), key=lambda m: m.layer_id)


def configure_layers(model: nn.Module, **settings) -> None:
    """configure() on every converted layer of `model`."""
    for m in mercury_layers(model):
        m.configure(**settings)

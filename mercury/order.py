"""The execution order of a model's MERCURY layers (its convolutions and linear layers): the one collector that
mercury.convert, the topology export and the study use, so layer ids agree everywhere (and with mercury.rewrite,
which numbers the scripted graph's layers in graph order: the same order for models without data-dependent
branches)."""
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

# The module class of each kind of layer MERCURY takes (MercuryConv2d and MercuryLinear are subclasses).
LAYER_KINDS: Dict[str, type] = {"conv2d": nn.Conv2d, "linear": nn.Linear}
# What mercury.convert and mercury.rewrite take unless told otherwise: the convolutions, as before linear layers
# existed (the CNN studies' layer ids and numbers stay as they were); kinds=ALL_KINDS takes every weight GEMM.
DEFAULT_KINDS = ("conv2d",)
ALL_KINDS = tuple(LAYER_KINDS)


def check_kinds(kinds: Sequence[str], where: str) -> Tuple[str, ...]:
    """`kinds` as a tuple, each one of LAYER_KINDS (ValueError naming the bad one otherwise)."""
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    bad = [k for k in kinds if k not in LAYER_KINDS]
    if bad or not kinds:
        raise ValueError(f"{where}: kinds must be a non-empty subset of {sorted(LAYER_KINDS)}, got {list(kinds)}")
    return kinds


def layer_kind(module: nn.Module) -> Optional[str]:
    """The kind of layer `module` is ('conv2d', 'linear'), or None."""
    for kind, cls in LAYER_KINDS.items():
        if isinstance(module, cls):
            return kind
    return None


@dataclass
class LayerCall:
    """One call of an nn.Conv2d or nn.Linear seen during a forward pass."""
    layer_id: int            # call index in execution order
    module_name: str         # qualified module name
    call: int                # 0 for the module's first call in the pass, 1 for its second, ...
    module: nn.Module
    input_shape: Tuple[int, ...]
    output_shape: Tuple[int, ...]
    kind: str = "conv2d"     # a key of LAYER_KINDS
    input: Optional[torch.Tensor] = None  # the activation it received, when asked for (keep_inputs)

    @property
    def name(self) -> str:
        """The module name, with '#<call>' for calls after the first (two ids for a module called twice)."""
        return self.module_name if self.call == 0 else f"{self.module_name}#{self.call}"


def model_device(model: nn.Module) -> torch.device:
    """The device of a model's first parameter (or buffer); the CPU for a model holding neither."""
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


def to_device(example: Any, device: Union[str, torch.device]) -> Any:
    """An example (a tensor, a tuple / list or dict of them, other values kept) with its tensors on `device`; tensors
    already there are returned as they are (no copy).

    >>> import torch
    >>> from mercury.order import model_device, run_example, to_device
    >>> batch = {"input": torch.ones(2, 3), "note": "kept"}
    >>> moved = to_device(batch, "meta")
    >>> moved["input"].device.type, moved["note"]
    ('meta', 'kept')
    >>> model = torch.nn.Linear(3, 1)
    >>> model_device(model), run_example(model, (torch.ones(2, 3),)).shape   # inputs follow the model's device
    (device(type='cpu'), torch.Size([2, 1]))
    """
    if isinstance(example, torch.Tensor):
        return example.to(device)
    if isinstance(example, Mapping):
        return {k: to_device(v, device) for k, v in example.items()}
    if isinstance(example, (tuple, list)):
        return type(example)(to_device(v, device) for v in example)
    return example


def run_example(model: nn.Module, example: Any) -> Any:
    """model(example) on the model's device (mercury.order.to_device): a tensor is the one input, a tuple or list
    the positional inputs, a dict the keyword inputs (a Hugging Face tokenizer's batch: input_ids, attention_mask)."""
    example = to_device(example, model_device(model))
    if isinstance(example, Mapping):  # a dict, or a tokenizer's BatchEncoding
        return model(**example)
    if isinstance(example, (tuple, list)):
        return model(*example)
    return model(example)


def example_rows(example: Any, start: int, stop: int) -> Any:
    """Items [start, stop) of every tensor of an example (a tensor, a tuple / list, or a dict of them)."""
    if isinstance(example, Mapping):  # a dict, or a tokenizer's BatchEncoding
        return {k: v[start:stop] for k, v in example.items()}
    if isinstance(example, (tuple, list)):
        return tuple(t[start:stop] for t in example)
    return example[start:stop]


def example_size(example: Any) -> int:
    """The batch size of an example: the length of its (first) tensor."""
    if isinstance(example, Mapping):  # a dict, or a tokenizer's BatchEncoding
        return len(next(iter(example.values())))
    return len(example[0]) if isinstance(example, (tuple, list)) else len(example)


def layer_calls(model: nn.Module, example: Any, kinds: Sequence[str] = tuple(LAYER_KINDS),
                keep_inputs: bool = False) -> List[LayerCall]:
    """Run one forward pass of `model` on `example` (run_example; no grad, eval mode; every module's training flag
    is restored) and return the calls of its layers of `kinds` in execution order (converted layers included)."""
    kinds = check_kinds(kinds, "mercury.order.layer_calls")
    names = {m: n for n, m in model.named_modules()}
    calls: List[LayerCall] = []
    per_module: Dict[str, int] = {}

    def hook(module, inputs, output):
        name = names[module]
        k = per_module.get(name, 0)
        per_module[name] = k + 1
        calls.append(LayerCall(len(calls), name, k, module, tuple(inputs[0].shape), tuple(output.shape),
                               layer_kind(module), inputs[0] if keep_inputs else None))

    handles = [m.register_forward_hook(hook) for m in model.modules() if layer_kind(m) in kinds]
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            run_example(model, example)
    finally:
        for h in handles:
            h.remove()
        for m, training in modes:
            m.training = training
    return calls


def conv_calls(model: nn.Module, example: Any, keep_inputs: bool = False) -> List[LayerCall]:
    """layer_calls of the nn.Conv2d layers only (what the conv topology export and the conv benchmarks read)."""
    return layer_calls(model, example, ("conv2d",), keep_inputs)

"""Python front of mercury::conv2d and mercury::linear: the settings' defaults are the op schema's (mercury.settings)."""
from typing import Optional, Sequence, Union

import torch

IntPair = Union[int, Sequence[int]]


def _pair(value: IntPair):
    if isinstance(value, int):
        return [value, value]
    return list(value)


def conv2d(input: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None,
           stride: IntPair = 1, padding: IntPair = 0, dilation: IntPair = 1, groups: int = 1, *,
           layer_id: int = 0, **settings) -> torch.Tensor:
    """MERCURY convolution. settings: any of mercury.settings.names() (mercury.settings.table() lists them with
    defaults and ranges; the op checks every value)."""
    return torch.ops.mercury.conv2d(input, weight, bias, _pair(stride), _pair(padding), _pair(dilation), groups,
                                    layer_id, **settings)


def linear(input: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None, *, layer_id: int = 0,
           **settings) -> torch.Tensor:
    """MERCURY linear layer, y = input @ weight.T + bias: every row of `input` (each token of a sequence) is one
    vector. settings: as for conv2d (vector_kind must stay 'patch')."""
    return torch.ops.mercury.linear(input, weight, bias, layer_id, **settings)

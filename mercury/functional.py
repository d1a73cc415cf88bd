"""Python front of mercury::conv2d with the same defaults as its schema."""
from typing import Optional, Sequence, Union

import torch

IntPair = Union[int, Sequence[int]]


def _pair(value: IntPair):
    if isinstance(value, int):
        return [value, value]
    return list(value)


def conv2d(input: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None,
           stride: IntPair = 1, padding: IntPair = 0, dilation: IntPair = 1, groups: int = 1, *,
           layer_id: int = 0, mode: str = "observe", sig_bits: int = 20, cache_entries: int = 1024,
           cache_ways: int = 0, vector: str = "patch", seed: int = 0,
           record_hitmap: bool = False) -> torch.Tensor:
    """MERCURY convolution; see docs/INTERFACES.md for the meaning of every setting."""
    return torch.ops.mercury.conv2d(input, weight, bias, _pair(stride), _pair(padding), _pair(dilation),
                                    groups, layer_id, mode, sig_bits, cache_entries, cache_ways, vector,
                                    seed, record_hitmap)

"""An independent, slow, pure-Python statement of mercury::conv2d's RPQ + MCACHE semantics.

Written from docs/INTERFACES.md, not from the C++: the tests compare the op against it.
"""
import math
from collections import OrderedDict

import torch
import torch.nn.functional as F

MASK64 = (1 << 64) - 1


def _splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def _seeded_state(seed, layer_id, k, bits):
    # state ^= splitmix64(state) + v, where splitmix64 advances the state first
    state = seed & MASK64
    for value in (layer_id, k, bits):
        state, z = _splitmix64(state)
        state ^= (z + value) & MASK64
    return state


def projection(seed, layer_id, k, bits, dtype):
    state = _seeded_state(seed, layer_id, k, bits)
    values = []
    count = k * bits
    while len(values) < count:
        state, a = _splitmix64(state)
        state, b = _splitmix64(state)
        u1 = ((a >> 11) + 0.5) / 9007199254740992.0
        u2 = ((b >> 11) + 0.5) / 9007199254740992.0
        radius = math.sqrt(-2.0 * math.log(u1))
        values.append(radius * math.cos(2.0 * math.pi * u2))
        values.append(radius * math.sin(2.0 * math.pi * u2))
    return torch.tensor(values[:count], dtype=torch.float64).view(k, bits).to(dtype)


def signatures(vectors, proj):
    """vectors [V, k] -> list of int signatures (bit b set when projection b > 0)."""
    signs = (vectors @ proj) > 0
    weights = [1 << b for b in range(proj.shape[1])]
    return [sum(w for w, s in zip(weights, row) if s) for row in signs.tolist()]


def _set_of(sig, sets):
    if sets == 1:
        return 0
    z = (sig * 0x9E3779B97F4A7C15) & MASK64
    z ^= z >> 29
    return z % sets


def run_cache(sigs, entries, ways):
    """Returns the source vector index of every vector (itself on a miss)."""
    ways = ways or entries
    sets = [OrderedDict() for _ in range(entries // ways)]  # sig -> source, oldest first
    sources = []
    for v, sig in enumerate(sigs):
        cache_set = sets[_set_of(sig, len(sets))]
        if sig in cache_set:
            cache_set.move_to_end(sig)
            sources.append(cache_set[sig])
        else:
            if len(cache_set) == ways:
                cache_set.popitem(last=False)
            cache_set[sig] = v
            sources.append(v)
    return sources


def vector_rows(x, weight, stride, padding, dilation):
    """im2col rows [N*L, C*kh*kw] of x, in (n, oh, ow) order."""
    cols = F.unfold(x, weight.shape[2:], dilation=dilation, padding=padding, stride=stride)
    return cols.transpose(1, 2).reshape(-1, cols.shape[1])


def reference_conv2d(x, weight, bias, stride, padding, dilation, groups, *, layer_id=0, sig_bits=20,
                     cache_entries=1024, cache_ways=0, vector_kind="patch", seed=0):
    """(approximate output, hits, hitmap list in lookup order, sources per unit)."""
    rows = vector_rows(x, weight, stride, padding, dilation)
    window = weight.shape[2] * weight.shape[3]
    width = weight.shape[1] * window if vector_kind == "patch" else window
    units = rows.shape[1] // width
    proj = projection(seed, layer_id, width, sig_bits, x.dtype)
    reused = torch.empty_like(rows)
    hitmap, sources = [], []
    for u in range(units):
        block = rows[:, u * width:(u + 1) * width]
        src = run_cache(signatures(block, proj), cache_entries, cache_ways)
        sources.append(src)
        hitmap += [int(s != v) for v, s in enumerate(src)]
        reused[:, u * width:(u + 1) * width] = block[src]
    n = x.shape[0]
    out_h = (x.shape[2] + 2 * padding[0] - dilation[0] * (weight.shape[2] - 1) - 1) // stride[0] + 1
    out_w = (x.shape[3] + 2 * padding[1] - dilation[1] * (weight.shape[3] - 1) - 1) // stride[1] + 1
    c_out = weight.shape[0]
    w_rows = weight.reshape(c_out, -1)
    group_width = w_rows.shape[1]
    per_group = c_out // groups
    out = torch.cat([reused[:, g * group_width:(g + 1) * group_width] @ w_rows[g * per_group:(g + 1) * per_group].t()
                     for g in range(groups)], dim=1)
    if bias is not None:
        out = out + bias
    out = out.view(n, out_h, out_w, c_out).permute(0, 3, 1, 2)
    return out, sum(hitmap), hitmap, sources


def reference_linear(x, weight, bias, *, layer_id=0, sig_bits=20, cache_entries=1024, cache_ways=0, seed=0):
    """mercury::linear with sign signatures: every row of x [..., K] one vector, one stream for the call.
    (approximate output, hits, hitmap list in lookup order, sources)."""
    rows = x.reshape(-1, x.shape[-1])
    proj = projection(seed, layer_id, rows.shape[1], sig_bits, x.dtype)
    src = run_cache(signatures(rows, proj), cache_entries, cache_ways)
    out = rows[src] @ weight.t()
    if bias is not None:
        out = out + bias
    hitmap = [int(s != v) for v, s in enumerate(src)]
    return out.view(*x.shape[:-1], weight.shape[0]), sum(hitmap), hitmap, src

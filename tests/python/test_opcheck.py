"""torch.library.opcheck on mercury::conv2d: schema, autograd registration, fake (Meta) kernel under symbolic
shapes and aot_dispatch_dynamic, on a matrix of every mode, signature scheme and vector kind, groups/depthwise,
stride, dilation, padding, bias or none, with and without requires_grad, float32 and float64."""
import itertools

import pytest
import torch

import mercury  # noqa: F401  (loads the op library)
from device_under_test import on_device

OP = torch.ops.mercury.conv2d.default

# (name, C_in, C_out, groups, kernel, stride, padding, dilation, bias)
GEOMETRIES = [
    ("plain", 4, 6, 1, 3, 1, 1, 1, True),
    ("strided_nobias", 4, 6, 1, 3, 2, 0, 1, False),
    ("dilated", 3, 4, 1, 3, 1, 2, 2, True),
    ("grouped", 4, 6, 2, 3, 1, 1, 1, False),
    ("depthwise", 4, 4, 4, 3, 2, 1, 1, True),
    ("pointwise", 5, 3, 1, 1, 1, 0, 1, True),
]
MODES = ["off", "observe", "reuse"]
SCHEMES = ["sign", "e2lsh", "svd"]
VECTORS = ["patch", "channel"]


def _cases():
    """A covering design rather than the full product (which would be 6 x 3 x 3 x 2 x 2 x 2 = 432 cases): every
    mode meets every scheme, vector kind, geometry, dtype and requires_grad."""
    cases = []
    for i, (mode, scheme, vector) in enumerate(itertools.product(MODES, SCHEMES, VECTORS)):
        geometry = GEOMETRIES[i % len(GEOMETRIES)]
        dtype = torch.float64 if i % 2 else torch.float32
        requires_grad = (i // 2) % 2 == 0
        cases.append((geometry, mode, scheme, vector, dtype, requires_grad))
    # Every geometry once more in reuse mode, with gradients (the custom backward) in both dtypes.
    for j, geometry in enumerate(GEOMETRIES):
        cases.append((geometry, "reuse", SCHEMES[j % 3], VECTORS[j % 2], (torch.float32, torch.float64)[j % 2], True))
    return cases


CASES = _cases()


def _case_id(case):
    geometry, mode, scheme, vector, dtype, grad = case
    return f"{geometry[0]}-{mode}-{scheme}-{vector}-{str(dtype)[6:]}-{'grad' if grad else 'nograd'}"


def test_the_matrix_covers_what_it_claims():
    assert len(CASES) >= 24
    for values, position in ((MODES, 1), (SCHEMES, 2), (VECTORS, 3)):
        assert {c[position] for c in CASES} == set(values)
    assert {c[0][0] for c in CASES} == {g[0] for g in GEOMETRIES}
    assert {c[4] for c in CASES} == {torch.float32, torch.float64} and {c[5] for c in CASES} == {True, False}
    assert {(c[0][8]) for c in CASES} == {True, False}


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_opcheck(case):
    (_, c_in, c_out, groups, k, stride, padding, dilation, bias), mode, scheme, vector, dtype, grad = case
    g = torch.Generator().manual_seed(7)
    # Few distinct values, so reuse really finds hits (and the reuse backward runs on a real reuse map).
    x = torch.randint(0, 2, (2, c_in, 7, 7), generator=g).to(dtype).requires_grad_(grad)
    w = torch.randn(c_out, c_in // groups, k, k, generator=g, dtype=dtype, requires_grad=grad)
    b = torch.randn(c_out, generator=g, dtype=dtype, requires_grad=grad) if bias else None
    args = (*on_device(x, w, b), [stride, stride], [padding, padding], [dilation, dilation], groups, 3)
    kwargs = dict(mode=mode, signature=scheme, vector_kind=vector, sig_bits=8, bucket_width=2.0)
    torch.library.opcheck(OP, args, kwargs)

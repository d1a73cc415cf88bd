"""mercury::conv2d against the pure-Python reference (tests/python/mercury_reference.py) over generated geometries
and settings (hypothesis, bounded): reuse output, hit count and hit map, and observe's exact output."""
import torch
from hypothesis import HealthCheck, given, settings as hyp_settings, strategies as st

import mercury
from device_under_test import on_device
from mercury_reference import reference_conv2d


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    padding = [draw(st.integers(0, 1)), draw(st.integers(0, 1))]
    dilation = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    h = draw(st.integers(dilation[0] * (kh - 1) + 1, 7))
    w = draw(st.integers(dilation[1] * (kw - 1) + 1, 7))
    n = draw(st.integers(1, 2))
    levels = draw(st.integers(2, 3))  # few distinct values: patches repeat, so hits and misses both occur
    return dict(groups=groups, c_in=c_in, c_out=c_out, kernel=(kh, kw), stride=stride, padding=padding,
                dilation=dilation, shape=(n, c_in, h, w), levels=levels,
                settings=dict(sig_bits=draw(st.integers(1, 24)), cache_entries=draw(st.sampled_from([1, 4, 64])),
                              vector_kind=draw(st.sampled_from(["patch", "channel"])), seed=draw(st.integers(0, 3))),
                dtype=draw(st.sampled_from([torch.float32, torch.float64])), bias=draw(st.booleans()))


@hyp_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=conv_cases())
def test_reuse_matches_the_reference(case):
    g = torch.Generator().manual_seed(case["settings"]["seed"])
    dtype = case["dtype"]
    x = torch.randint(0, case["levels"], case["shape"], generator=g).to(dtype)
    weight = torch.randn(case["c_out"], case["c_in"] // case["groups"], *case["kernel"], generator=g, dtype=dtype)
    bias = torch.randn(case["c_out"], generator=g, dtype=dtype) if case["bias"] else None
    geometry = (case["stride"], case["padding"], case["dilation"], case["groups"])
    want, hits, hitmap, _ = reference_conv2d(x, weight, bias, *geometry, layer_id=1, **case["settings"])
    mercury.hitlog_reset()
    got = mercury.conv2d(*on_device(x, weight, bias), *geometry, layer_id=1, mode="reuse", record_hitmap=True,
                         **case["settings"]).cpu()
    record = mercury.hitlog(with_hitmaps=True)[-1]
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(got, want, atol=tol, rtol=tol)
    assert record["hits"] == hits and record["hitmap"].tolist() == [bool(h) for h in hitmap]
    observed = mercury.conv2d(*on_device(x, weight, bias), *geometry, layer_id=1, mode="observe",
                              **case["settings"]).cpu()
    torch.testing.assert_close(observed, torch.nn.functional.conv2d(x, weight, bias, *geometry), atol=tol, rtol=tol)

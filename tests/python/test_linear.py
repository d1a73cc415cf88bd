"""mercury::linear against the pure-Python reference (tests/python/mercury_reference.py): outputs, hit counts,
hit maps and gradients over generated shapes and settings (hypothesis, bounded), its hit-log records, and the
errors for bad input."""
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings as hyp_settings, strategies as st

import mercury
from device_under_test import on_device
from mercury_reference import reference_linear

OP = torch.ops.mercury.linear


def _repeating_rows(shape, k, distinct, dtype, seed):
    """An input [*shape, k] whose rows are drawn from `distinct` rows, so the MCACHE really hits."""
    g = torch.Generator().manual_seed(seed)
    pool = torch.randn(distinct, k, generator=g, dtype=dtype)
    index = torch.randint(0, distinct, (math.prod(shape),), generator=g)
    return pool[index].view(*shape, k)


@hyp_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.sampled_from([(7,), (3, 5), (2, 3, 4)]), k=st.integers(1, 12), n=st.integers(1, 9),
       distinct=st.integers(1, 6), sig_bits=st.integers(1, 24), entries=st.sampled_from([1, 2, 4, 64]),
       ways=st.sampled_from([0, 1, 2]), bias=st.booleans(), dtype=st.sampled_from([torch.float32, torch.float64]),
       seed=st.integers(0, 3))
def test_reuse_matches_the_reference(shape, k, n, distinct, sig_bits, entries, ways, bias, dtype, seed):
    if ways and entries % ways:
        ways = 0
    x = _repeating_rows(shape, k, distinct, dtype, seed)
    g = torch.Generator().manual_seed(seed + 1)
    w = torch.randn(n, k, generator=g, dtype=dtype)
    b = torch.randn(n, generator=g, dtype=dtype) if bias else None
    settings = dict(sig_bits=sig_bits, cache_entries=entries, cache_ways=ways, seed=seed)
    ref, ref_hits, ref_map, _ = reference_linear(x, w, b, layer_id=2, **settings)
    mercury.hitlog_reset()
    out = OP(*on_device(x, w, b), 2, mode="reuse", record_hitmap=True, **settings).cpu()
    record = mercury.hitlog(with_hitmaps=True)[-1]
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(out, ref, atol=tol, rtol=tol)
    assert record["hits"] == ref_hits and record["hitmap"].int().tolist() == ref_map
    observed = OP(*on_device(x, w, b), 2, mode="observe", **settings).cpu()
    torch.testing.assert_close(observed, torch.nn.functional.linear(x, w, b), atol=tol, rtol=tol)
    assert mercury.hitlog()[-1]["hits"] == ref_hits


@hyp_settings(max_examples=15, deadline=None)
@given(shape=st.sampled_from([(6,), (2, 4)]), k=st.integers(1, 6), n=st.integers(1, 5), distinct=st.integers(1, 4),
       bias=st.booleans(), seed=st.integers(0, 5))
def test_reuse_gradient_is_the_gradient_of_the_reference(shape, k, n, distinct, bias, seed):
    """The exact gradient of the approximate forward: autograd through the reference's row gather."""
    x = _repeating_rows(shape, k, distinct, torch.float64, seed)
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(n, k, generator=g, dtype=torch.float64)
    b = torch.randn(n, generator=g, dtype=torch.float64) if bias else None
    grad = torch.randn(*shape, n, generator=g, dtype=torch.float64)
    leaves = on_device(*[t.clone().requires_grad_() for t in (x, w) + ((b,) if bias else ())])
    OP(leaves[0], leaves[1], leaves[2] if bias else None, 0, mode="reuse", sig_bits=8).backward(*on_device(grad))
    ref_leaves = [t.clone().requires_grad_() for t in (x, w) + ((b,) if bias else ())]
    ref, *_ = reference_linear(ref_leaves[0], ref_leaves[1], ref_leaves[2] if bias else None, sig_bits=8)
    ref.backward(grad)
    for got, want in zip(leaves, ref_leaves):
        torch.testing.assert_close(got.grad.cpu(), want.grad, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("mode", ["off", "observe"])
def test_exact_modes_give_torch_gradients(mode):
    g = torch.Generator().manual_seed(0)
    args = [torch.randn(2, 3, 5, generator=g, dtype=torch.float64, requires_grad=True),
            torch.randn(4, 5, generator=g, dtype=torch.float64, requires_grad=True),
            torch.randn(4, generator=g, dtype=torch.float64, requires_grad=True)]
    assert torch.autograd.gradcheck(lambda x, w, b: OP(x, w, b, 0, mode=mode), args)


def test_a_record_carries_the_gemm_geometry():
    """Rows of a [B, T, K] input: B samples of T rows (SCALE-Sim's GEMM: M = T, K, N), as the 1 x 1 conv it is."""
    mercury.hitlog_reset()
    OP(torch.randn(3, 5, 8), torch.randn(6, 8), None, 4)
    OP(torch.randn(7, 8), torch.randn(6, 8), None, 5)
    first, second = mercury.hitlog()
    assert (first["op"], first["layer_id"], first["N"], first["H"], first["C"], first["out_channels"],
            first["out_h"], first["W"], first["kernel_h"], first["vectors"]) == ("linear", 4, 3, 5, 8, 6, 5, 1, 1, 15)
    assert (second["N"], second["H"], second["vectors"]) == (7, 1, 7)  # a 2-D input: every row a sample


def test_the_conv_op_records_say_conv2d():
    mercury.hitlog_reset()
    mercury.conv2d(torch.randn(1, 2, 5, 5), torch.randn(3, 2, 3, 3))
    assert mercury.hitlog()[-1]["op"] == "conv2d"


@pytest.mark.parametrize("bad, message", [
    (lambda: OP(torch.randn(4, 5), torch.randn(3, 5, 1), None, 0), "weight must be 2-D"),
    (lambda: OP(torch.randn(4, 5), torch.randn(3, 6), None, 0), "input's last dim is 5 but weight expects"),
    (lambda: OP(torch.ones(4, 5, dtype=torch.int64), torch.ones(3, 5, dtype=torch.int64), None, 0),
     "must be float32 or float64, got Long"),
    (lambda: OP(torch.randn(4, 5).half(), torch.randn(3, 5).half(), None, 0), "torch.autocast"),
    (lambda: OP(torch.randn(0, 5), torch.randn(3, 5), None, 0), "input has no rows"),
    (lambda: OP(torch.randn(4, 5), torch.randn(3, 5), None, 0, vector_kind="channel"), 'vector_kind must be "patch"'),
    (lambda: OP(torch.randn(4, 5), torch.randn(3, 5), torch.randn(4), 0), "bias must have shape [3]"),
    (lambda: OP(torch.randn(4, 5), torch.randn(3, 5), None, -1), "layer_id must be >= 0"),
    (lambda: OP(torch.randn(4, 5), torch.randn(3, 5), None, 0, sig_bits=99), "sig_bits"),
])
def test_bad_input_is_a_clear_error_and_the_log_keeps_what_it_had(bad, message):
    mercury.hitlog_reset()
    OP(torch.randn(2, 5), torch.randn(3, 5), None, 0)
    with pytest.raises(RuntimeError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        bad()
    assert len(mercury.hitlog()) == 1


@pytest.mark.parametrize("signature", ["sign", "e2lsh", "svd"])
def test_nan_and_inf_rows_give_nan_outputs_on_their_rows_only(signature):
    """The documented outcome: a row holding NaN/Inf is looked up like any other (its non-finite projections fall
    into one fixed bucket); finite rows keep their usual signatures and outputs."""
    x = _repeating_rows((12,), 6, 3, torch.float64, 0)
    x[4, 2] = float("nan")
    x[7, 0] = float("inf")
    w = torch.randn(5, 6, dtype=torch.float64)
    out = OP(x, w, None, 0, mode="reuse", signature=signature)
    finite = torch.isfinite(x).all(1)
    clean = OP(x[finite], w, None, 0, mode="reuse", signature=signature)
    assert not torch.isfinite(out[~finite]).all(1).any()
    # Every finite row took a finite result (a NaN row never serves a finite one), the same as without them.
    assert torch.isfinite(out[finite]).all()
    if signature == "sign":
        torch.testing.assert_close(out[finite], clean)


def test_autocast_runs_in_float32():
    x, w = torch.randn(3, 4, 8), torch.randn(5, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = OP(x.bfloat16(), w.bfloat16(), None, 0, mode="observe")
    assert out.dtype == torch.float32

"""The device kernels (ops/device/: what CUDA tensors take) against the CPU kernels.

Every op has a CUDA kernel; called directly through the dispatcher (``redispatch`` to the CUDA key, as the dispatcher
does for a CUDA tensor) on CPU tensors it runs the very code a GPU runs, and must give the CPU kernels' hit-log
records exactly (hits, hit maps) and their outputs and gradients up to float summation order. With
MERCURY_TEST_DEVICE=cuda (benchmarks/gpu_check.sh on a GPU) the device kernels run on CUDA tensors instead: float64
records must still be identical; a float32 signature bit may flip where a projection lies within the GPU's rounding of
0 (or of an e2lsh bucket boundary), so there hits may differ by at most FLOAT32_GPU_HIT_SLACK of the vectors. The records on real
photos through the trained InceptionV3 and on real e-mails through MiniLM are compared in
test_device_kernels_models.py; MERCURY_KERNELS=device (the whole op suite on the device path) in CI.
"""
import itertools
import os
import re
import subprocess
import sys

import pytest
import torch

import mercury
from device_under_test import DEVICE, on_device

FLOAT32_GPU_HIT_SLACK = 0.02
CUDA_KEY = torch._C.DispatchKeySet(torch._C.DispatchKey.CUDA)
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(mercury.__file__)))  # the checkout, or a wheel's


def _records():
    """Every field of every record, hit maps as lists."""
    return [r | {"hitmap": r["hitmap"].tolist() if r["hitmap"] is not None else None}
            for r in mercury.hitlog(with_hitmaps=True)]


def _run(op_name, args, settings, device_kernels):
    """{output, sources, grads, records} of one forward (+ backward in reuse) on the CPU or device kernels."""
    mercury.hitlog_reset()
    forward = getattr(torch.ops.mercury, f"_{op_name}_forward").default
    backward = getattr(torch.ops.mercury, f"_{op_name}_backward").default
    if device_kernels and DEVICE.type == "cpu":
        def call(f, *a):
            return f.redispatch(CUDA_KEY, *a, **settings)
    else:
        on = DEVICE if device_kernels else torch.device("cpu")

        def call(f, *a):
            return f(*[t.to(on) if isinstance(t, torch.Tensor) else t for t in a], **settings)
    output, sources = call(forward, *args)
    grad_output = torch.linspace(-1, 1, output.numel(), dtype=output.dtype).view(output.shape)
    grads = call(backward, grad_output, sources, *args)
    return output.cpu(), sources.cpu(), [g.cpu() for g in grads], _records()


def _assert_same(cpu, device, tol):
    (out_c, src_c, grads_c, rec_c), (out_d, src_d, grads_d, rec_d) = cpu, device
    if DEVICE.type == "cuda" and out_c.dtype == torch.float32 and rec_d != rec_c:
        vectors = sum(r["vectors"] for r in rec_c)
        assert sum(abs(a["hits"] - b["hits"]) for a, b in zip(rec_c, rec_d)) <= FLOAT32_GPU_HIT_SLACK * vectors
        return  # other hits: other reuse, so other outputs
    assert rec_d == rec_c
    assert torch.equal(src_d, src_c)
    torch.testing.assert_close(out_d, out_c, atol=tol, rtol=tol)
    for g_d, g_c in zip(grads_d, grads_c):
        torch.testing.assert_close(g_d, g_c, atol=tol, rtol=tol)


def _repeating(shape, levels, dtype, seed):
    """Few distinct values, so vectors repeat and hits and misses both occur."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, levels, shape, generator=g).to(dtype) + torch.rand(shape, generator=g, dtype=dtype) * 0.01


CONV_GEOMETRIES = {  # C_in, C_out, groups, kernel, stride, padding, dilation
    "plain": (4, 6, 1, 3, 1, 1, 1), "grouped": (4, 6, 2, 3, 2, 0, 1), "depthwise": (4, 8, 4, 3, 1, 1, 2),
    "pointwise": (5, 3, 1, 1, 1, 0, 1)}


@pytest.mark.parametrize("geometry,mode,scheme,vector,dtype,hitmap", [
    (geo, mode, scheme, vector, dtype, (i % 2 == 0))
    for i, (geo, mode, scheme, vector, dtype) in enumerate(itertools.product(
        CONV_GEOMETRIES, ["observe", "reuse"], ["sign", "e2lsh", "svd"], ["patch", "channel"],
        [torch.float32, torch.float64]))
    if i % 3 == 0 or (mode == "reuse" and dtype == torch.float64)])
def test_conv2d_device_kernels_give_the_cpu_kernels_records_outputs_and_gradients(geometry, mode, scheme, vector,
                                                                                  dtype, hitmap):
    c_in, c_out, groups, k, stride, padding, dilation = CONV_GEOMETRIES[geometry]
    x = _repeating((3, c_in, 9, 8), 2, dtype, seed=1)
    w = torch.randn(c_out, c_in // groups, k, k, generator=torch.Generator().manual_seed(2), dtype=dtype)
    b = torch.randn(c_out, dtype=dtype)
    args = (x, w, b, [stride] * 2, [padding] * 2, [dilation] * 2, groups, 3)
    settings = dict(mode=mode, signature=scheme, vector_kind=vector, sig_bits=12, cache_entries=16,
                    bucket_width=0.5, record_hitmap=hitmap)
    tol = 1e-5 if dtype == torch.float32 else 1e-10
    _assert_same(_run("conv2d", args, settings, False), _run("conv2d", args, settings, True), tol)


@pytest.mark.parametrize("mode,scheme,dtype,shape", [
    (mode, scheme, dtype, shape) for mode, scheme, dtype, shape in itertools.product(
        ["observe", "reuse"], ["sign", "e2lsh", "svd"], [torch.float32, torch.float64], [(2, 20, 16), (30, 16)])])
def test_linear_device_kernels_give_the_cpu_kernels_records_outputs_and_gradients(mode, scheme, dtype, shape):
    x = _repeating(shape, 2, dtype, seed=3)
    w = torch.randn(7, shape[-1], generator=torch.Generator().manual_seed(4), dtype=dtype)
    args = (x, w, torch.randn(7, dtype=dtype), 5)
    settings = dict(mode=mode, signature=scheme, sig_bits=10, cache_entries=8, record_hitmap=True)
    tol = 1e-5 if dtype == torch.float32 else 1e-10
    _assert_same(_run("linear", args, settings, False), _run("linear", args, settings, True), tol)


def test_observe_records_land_in_call_order_and_readers_wait_for_them():
    """Device observe serves its lookups on host threads after the call returns; every reader sees every record of
    the calls made before it, in call order."""
    mercury.hitlog_reset()
    x = _repeating((2, 3, 12, 12), 2, torch.float32, seed=5)
    w = torch.randn(4, 3, 3, 3)
    x, w = on_device(x, w)
    for layer in range(40):
        torch.ops.mercury.conv2d.default.redispatch(CUDA_KEY, x, w, None, [1, 1], [1, 1], [1, 1], 1, layer,
                                                     mode="observe")
    assert [r["layer_id"] for r in mercury.hitlog()] == list(range(40))
    assert [r["seq"] for r in mercury.hitlog()] == list(range(40))


def test_an_unknown_kernel_choice_stops_the_import_naming_the_accepted_ones():
    env = dict(os.environ, MERCURY_KERNELS="gpu", PYTHONPATH=PACKAGE_PARENT)
    proc = subprocess.run([sys.executable, "-c", "import mercury"], env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "ImportError" in proc.stderr
    assert "MERCURY_KERNELS='gpu' is not a kernel choice: use 'cpu'" in proc.stderr and "'device'" in proc.stderr


def test_the_kernel_choice_is_read_from_the_environment():
    assert mercury.kernels == (os.environ.get("MERCURY_KERNELS") or "cpu")
    assert mercury.cuda_kernels is True


def test_running_out_of_memory_names_the_call_and_keeps_the_earlier_records():
    """A call whose signatures cannot be allocated: an out-of-memory error naming the op, its layer, tensors and
    devices; the record of the call before it is kept, and none is written for the failed one."""
    mercury.hitlog_reset()
    x, w = on_device(torch.randn(1, 1, 4, 4), torch.randn(1, 1, 1, 1))
    torch.ops.mercury.conv2d.default.redispatch(CUDA_KEY, x, w, None, [1, 1], [0, 0], [1, 1], 1, 0, mode="observe")
    # 1 x 1 conv padded by 2**20 on each side: 4 * 2**40 positions, terabytes of projections.
    on = re.escape(str(x.device))
    with pytest.raises(torch.OutOfMemoryError, match=rf"mercury::conv2d \(layer 7\) ran out of memory on {on} with "
                                                     rf"input \[1, 1, 4, 4\] Float on {on} and weight \[1, 1, 1, 1\] "
                                                     rf"on {on}; this call left no hit-log record"):
        torch.ops.mercury.conv2d.default.redispatch(CUDA_KEY, x, w, None, [1, 1], [1 << 20, 1 << 20], [1, 1], 1, 7,
                                                     mode="observe")
    assert [r["layer_id"] for r in mercury.hitlog()] == [0]

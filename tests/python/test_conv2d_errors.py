"""Bad input gets a clear error that names the problem."""
import re

import pytest
import torch

import mercury

X = torch.randn(1, 4, 8, 8)
W = torch.randn(6, 4, 3, 3)


@pytest.mark.parametrize("kwargs,message", [
    (dict(input=torch.randn(4, 8, 8)), "input must be 4-D"),
    (dict(weight=torch.randn(6, 4, 3)), "weight must be 4-D"),
    (dict(weight=torch.randn(6, 3, 3, 3)), "input has 4 channels"),
    (dict(input=torch.ones(1, 4, 8, 8, dtype=torch.int32), weight=torch.ones(6, 4, 3, 3, dtype=torch.int32)),
     "must be float32 or float64"),
    (dict(weight=W.double()), "differs from input dtype"),
    (dict(padding=[-1, 0]), "padding must be >= 0"),
    (dict(stride=[0, 1]), "stride must be >= 1"),
    (dict(bias=torch.randn(5)), "bias must have shape"),
    (dict(weight=torch.randn(6, 4, 11, 3)), "smaller than the (dilated) kernel"),
    (dict(groups=3), "input has 4 channels"),
    (dict(sig_bits=0), "sig_bits must be in [1, 64], got 0"),
    (dict(sig_bits=65), "sig_bits must be in [1, 64], got 65"),
    (dict(mode="fast"), "unknown mode 'fast'"),
    (dict(vector_kind="row"), "unknown vector_kind 'row'"),
    (dict(cache_entries=0), "cache_entries must be in [1, "),
    (dict(cache_entries=10, cache_ways=4), "must be 0 or divide cache_entries (10)"),
])
@pytest.mark.parametrize("mode", ["observe", "reuse"])
def test_clear_errors(kwargs, message, mode):
    args = dict(input=X, weight=W, bias=None, stride=[1, 1], padding=[0, 0], dilation=[1, 1], groups=1, mode=mode)
    args.update(kwargs)
    with pytest.raises(RuntimeError) as info:
        mercury.conv2d(args.pop("input"), args.pop("weight"), **args)
    assert message in str(info.value)


LINEAR_X, LINEAR_W = torch.randn(4, 5), torch.randn(3, 5)
OPS = ["conv2d", "_conv2d_forward", "_conv2d_backward", "linear", "_linear_forward", "_linear_backward"]
CUDA_KEY = torch._C.DispatchKeySet(torch._C.DispatchKey.CUDA)


@pytest.mark.parametrize("op", OPS)
def test_every_op_has_a_cuda_kernel(op):
    assert torch._C._dispatch_has_kernel_for_dispatch_key(f"mercury::{op}", "CUDA")


@pytest.mark.parametrize("op,args,message", [
    ("conv2d", (X, W.to("meta"), None), "mercury::conv2d: weight is on meta but input is on cpu"),
    ("conv2d", (X, W, torch.zeros(6, device="meta")), "mercury::conv2d: bias is on meta but input is on cpu"),
    ("linear", (LINEAR_X, LINEAR_W.to("meta"), None), "mercury::linear: weight is on meta but input is on cpu"),
    ("conv2d", (X.half(), W.half(), None), 'under torch.autocast("cpu") or torch.autocast("cuda") the op runs in '
                                           'float32 by itself'),
])
def test_the_device_kernels_name_both_devices_of_mixed_operands(op, args, message):
    """Called directly, as the dispatcher calls them for a CUDA tensor (this runs where no GPU is): the device
    kernels check operands as the CPU kernels do. (A CUDA input with a CPU weight: test_a_cuda_input_with_a_cpu_weight
    on a GPU.)"""
    with pytest.raises(RuntimeError, match=re.escape(message)):
        getattr(torch.ops.mercury, op).default.redispatch(CUDA_KEY, *args, mode="observe")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_cuda_input_with_a_cpu_weight_names_both_devices():
    with pytest.raises(RuntimeError, match=r"mercury::conv2d: weight is on cpu but input is on cuda:0"):
        mercury.conv2d(X.cuda(), W, None, mode="observe")

"""Bad input gets a clear error that names the problem."""
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
CUDA_CASES = {"conv2d": (X, W, None), "_conv2d_forward": (X, W, None),
              "_conv2d_backward": (torch.randn(1, 6, 6, 6), torch.empty(0), X, W, None),
              "linear": (LINEAR_X, LINEAR_W, None), "_linear_forward": (LINEAR_X, LINEAR_W, None),
              "_linear_backward": (torch.randn(4, 3), torch.empty(0), LINEAR_X, LINEAR_W, None)}


@pytest.mark.parametrize("op", sorted(CUDA_CASES))
def test_every_op_has_a_cuda_kernel_and_it_refuses_with_what_to_do(op):
    assert torch._C._dispatch_has_kernel_for_dispatch_key(f"mercury::{op}", "CUDA")
    # Called directly, as the dispatcher would for a CUDA tensor: this also runs where no GPU is.
    overload = getattr(torch.ops.mercury, op).default
    args = CUDA_CASES[op]
    with pytest.raises(RuntimeError, match=rf"mercury::{op} runs on the CPU only \(mercury has no CUDA kernels\) "
                                           r"but got a tensor on cuda: move its inputs .* with \.cpu\(\)"):
        overload.redispatch(torch._C.DispatchKeySet(torch._C.DispatchKey.CUDA), *args)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_cuda_tensor_is_refused_naming_its_device():
    with pytest.raises(RuntimeError, match=r"got a tensor on cuda:0: move its inputs"):
        mercury.conv2d(X.cuda(), W.cuda(), None, mode="observe")

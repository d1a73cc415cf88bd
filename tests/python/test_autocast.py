"""Mixed precision: under CPU autocast (bfloat16) the op runs in float32; outside it, bfloat16 is refused clearly."""
import pytest
import torch
import torch.nn as nn

import mercury


def test_autocast_bfloat16_runs_the_op_in_float32():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 3))
    mercury.convert(net, mode="reuse", sig_bits=24)
    x = torch.randn(2, 3, 10, 10)
    with torch.no_grad():
        want = net(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            got = net(x.bfloat16())     # as a bfloat16 activation from an earlier autocast layer would arrive
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, net(x.bfloat16().float()))
    assert (got - want).abs().max() < 0.1  # the input's bfloat16 rounding only


def test_autocast_training_step_has_gradients():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    mercury.convert(net, mode="reuse")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = net(torch.randn(2, 3, 8, 8)).float().pow(2).mean()
    loss.backward()
    assert net[0].weight.grad is not None and torch.isfinite(net[0].weight.grad).all()


def test_bfloat16_outside_autocast_says_what_to_do():
    with pytest.raises(RuntimeError, match="under torch.autocast"):
        mercury.conv2d(torch.randn(1, 2, 5, 5).bfloat16(), torch.randn(3, 2, 3, 3).bfloat16())


@pytest.mark.parametrize("op", ["conv2d", "linear"])
def test_the_ops_have_an_autocast_cuda_kernel(op):
    """The same kernel as AutocastCPU's (one template), registered for torch.autocast("cuda")."""
    assert torch._C._dispatch_has_kernel_for_dispatch_key(f"mercury::{op}", "AutocastCUDA")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_cuda_autocast_runs_the_op_in_float32():
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(2, 3, 10, 10, generator=g).cuda(), torch.randn(4, 3, 3, 3, generator=g).cuda()
    with torch.autocast("cuda"):
        got = mercury.conv2d(x.half(), w, None, mode="observe")
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, torch.nn.functional.conv2d(x.half().float(), w), rtol=1e-3, atol=1e-3)

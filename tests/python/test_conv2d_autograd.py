"""Gradients of mercury::conv2d: exact in observe/off mode, of the approximate forward in reuse mode."""
import pytest
import torch
import torch.nn.functional as F

import mercury
from mercury_reference import reference_conv2d


def double_inputs(seed, c_in=4, c_out=3, groups=2, size=6):
    torch.manual_seed(seed)
    x = torch.randn(2, c_in, size, size, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(c_out * groups, c_in // groups, 3, 3, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(c_out * groups, dtype=torch.float64, requires_grad=True)
    return x, weight, bias


@pytest.mark.parametrize("mode", ["off", "observe"])
def test_gradcheck_exact_modes(mode):
    x, weight, bias = double_inputs(0)
    fn = lambda a, w, b: mercury.conv2d(a, w, b, [2, 1], [1, 1], [1, 1], 2, mode=mode)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x, weight, bias))
    fn_no_bias = lambda a, w: mercury.conv2d(a, w, None, 1, 0, 1, 2, mode=mode)  # noqa: E731
    assert torch.autograd.gradcheck(fn_no_bias, (x, weight))


@pytest.mark.parametrize("vector", ["patch", "channel"])
def test_reuse_gradient_is_gradient_of_approximate_forward(vector):
    # Few signature bits on a ReLU'd input give many hits; the reference expresses the approximate forward
    # as a gather of reused vectors, and autograd through it is the gradient we promise.
    x, weight, bias = double_inputs(1)
    x_relu = torch.relu(x.detach()).requires_grad_(True)
    settings = dict(sig_bits=4, cache_entries=8, vector_kind=vector, layer_id=3)
    got = mercury.conv2d(x_relu, weight, bias, 1, 1, 1, 2, mode="reuse", **settings)
    ref_x = x_relu.detach().clone().requires_grad_(True)
    ref_w = weight.detach().clone().requires_grad_(True)
    ref_b = bias.detach().clone().requires_grad_(True)
    want, hits, _, _ = reference_conv2d(ref_x, ref_w, ref_b, [1, 1], [1, 1], [1, 1], 2, **settings)
    assert hits > 0
    grad = torch.randn_like(got)
    got.backward(grad)
    want.backward(grad)
    torch.testing.assert_close(x_relu.grad, ref_x.grad)
    torch.testing.assert_close(weight.grad, ref_w.grad)
    torch.testing.assert_close(bias.grad, ref_b.grad)


@pytest.mark.parametrize("sig_bits, mostly", [(2, "hits"), (12, "misses")])
def test_reuse_is_the_same_whether_computed_over_misses_or_densely(sig_bits, mostly):
    """The CPU computes a call over its gathered misses when hits are many and densely (torch's conv, then the
    reuse map) when they are few; outputs and gradients must match the reference either way."""
    x, weight, bias = double_inputs(3, size=8)
    x_relu = torch.relu(x.detach()).requires_grad_(True)
    settings = dict(sig_bits=sig_bits, cache_entries=64, layer_id=4)
    got = mercury.conv2d(x_relu, weight, bias, 1, 1, 1, 2, mode="reuse", **settings)
    ref_x = x_relu.detach().clone().requires_grad_(True)
    ref_w = weight.detach().clone().requires_grad_(True)
    want, hits, _, _ = reference_conv2d(ref_x, ref_w, bias.detach(), [1, 1], [1, 1], [1, 1], 2, **settings)
    vectors = 2 * got.shape[0] * got.shape[2] * got.shape[3]    # two groups, one vector per group and position
    assert 0 < hits < vectors and (hits > vectors / 2) == (mostly == "hits")
    torch.testing.assert_close(got, want)
    grad = torch.randn_like(got)
    got.backward(grad)
    want.backward(grad)
    torch.testing.assert_close(x_relu.grad, ref_x.grad)
    torch.testing.assert_close(weight.grad, ref_w.grad)


def test_gradcheck_reuse_without_hits_equals_conv_gradient():
    x, weight, bias = double_inputs(2)
    fn = lambda a, w, b: mercury.conv2d(a, w, b, 1, 1, 1, 2, mode="reuse", sig_bits=64)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x, weight, bias))


class TinyNet(torch.nn.Module):
    def __init__(self, mode):
        super().__init__()
        self.mode = mode
        self.w1 = torch.nn.Parameter(torch.randn(8, 1, 3, 3) * 0.3)
        self.w2 = torch.nn.Parameter(torch.randn(16, 8, 3, 3) * 0.1)
        self.fc = torch.nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = torch.relu(mercury.conv2d(x, self.w1, None, 1, 1, layer_id=0, mode=self.mode, sig_bits=24))
        x = F.max_pool2d(x, 2)
        x = torch.relu(mercury.conv2d(x, self.w2, None, 1, 1, layer_id=1, mode=self.mode, sig_bits=24))
        return self.fc(F.max_pool2d(x, 2).flatten(1))


@pytest.mark.parametrize("mode", ["observe", "reuse"])
def test_tiny_model_trains(mode):
    from models.data import fashion_mnist
    images, labels = fashion_mnist("train", limit=512)
    torch.manual_seed(0)
    mercury.hitlog_reset()
    net = TinyNet(mode)
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    losses = []
    for epoch in range(3):
        for i in range(0, 512, 64):
            loss = F.cross_entropy(net(images[i:i + 64]), labels[i:i + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert sum(losses[-8:]) < 0.7 * sum(losses[:8])
    # every step really looked vectors up, and reuse really happened
    records = mercury.hitlog()
    assert len(records) == 2 * len(losses) and sum(r["hits"] for r in records) > 0

"""torch.compile of mercury: no graph breaks (fullgraph=True), static and dynamic shapes, the eager output in
every mode, training, and the hit log: the same records in the same order as eager, i.e. the compiler neither
merges identical calls, nor drops a call whose output is unused, nor reorders them."""
import copy

import pytest
import torch

import mercury
from device_under_test import DEVICE, on_device
from models import zoo


def _records():
    return [(r["layer_id"], r["vectors"], r["hits"], r["misses"], r["mode"]) for r in mercury.hitlog()]


def _run_logged(fn, *args):
    mercury.hitlog_reset()
    out = fn(*args)
    return out, _records()


def two_layers(x, w1, w2, mode: str):
    a = mercury.conv2d(x, w1, None, padding=1, layer_id=0, mode=mode, sig_bits=12)
    b = mercury.conv2d(x, w1, None, padding=1, layer_id=0, mode=mode, sig_bits=12)  # identical call: kept
    mercury.conv2d(x, w1, None, padding=1, layer_id=7, mode=mode)                  # output unused: kept
    return mercury.conv2d(torch.relu(a + b), w2, None, stride=2, layer_id=1, mode=mode, signature="e2lsh")


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    yield
    torch._dynamo.reset()


@pytest.mark.parametrize("backend", ["aot_eager", "inductor"])
@pytest.mark.parametrize("mode", ["off", "observe", "reuse"])
def test_a_function_compiles_whole_and_logs_as_eager(mode, backend):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 3, (2, 4, 10, 10), generator=g).float()
    x, w1, w2 = on_device(x, torch.randn(6, 4, 3, 3, generator=g), torch.randn(5, 6, 3, 3, generator=g))
    eager, eager_log = _run_logged(two_layers, x, w1, w2, mode)
    compiled_fn = torch.compile(two_layers, fullgraph=True, backend=backend)
    compiled, compiled_log = _run_logged(compiled_fn, x, w1, w2, mode)
    torch.testing.assert_close(compiled, eager)
    assert compiled_log == eager_log
    if mode != "off":
        assert [r[0] for r in compiled_log] == [0, 0, 7, 1]
        if mode == "reuse":
            assert any(r[2] > 0 for r in compiled_log)  # reuse really happened


def test_dynamic_shapes_run_without_recompiling_per_batch():
    w = torch.randn(4, 3, 3, 3, generator=torch.Generator().manual_seed(1))

    def f(x):
        return mercury.conv2d(x, w, None, padding=1, layer_id=2, mode="reuse", sig_bits=10)

    compiled = torch.compile(f, fullgraph=True, dynamic=True, backend="aot_eager")
    for n, size in ((2, 9), (3, 12), (5, 7)):
        x = torch.randint(0, 2, (n, 3, size, size), generator=torch.Generator().manual_seed(n)).float()
        eager, eager_log = _run_logged(f, x)
        out, log = _run_logged(compiled, x)
        torch.testing.assert_close(out, eager)
        assert log == eager_log and log[0][1] == n * size * size
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == 1


@pytest.mark.parametrize("mode", ["observe", "reuse"])
def test_a_converted_model_trains_under_compile_as_in_eager(mode):
    torch.manual_seed(0)
    model = zoo.build("small_cnn").train().to(DEVICE)
    mercury.convert(model, example=torch.zeros(1, 1, 28, 28, device=DEVICE), mode=mode, signature="svd", sig_bits=8,
                    bucket_width=0.5)
    twin = copy.deepcopy(model)
    x, target = on_device(torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(3)).round(),
                          torch.arange(8) % 10)

    def step(net, opt):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), target)
        loss.backward()
        opt.step()
        return loss.detach()

    opt_eager = torch.optim.SGD(model.parameters(), lr=0.1)
    opt_compiled = torch.optim.SGD(twin.parameters(), lr=0.1)
    compiled_net = torch.compile(twin, fullgraph=True, backend="inductor")
    for _ in range(2):
        loss_eager, log_eager = _run_logged(step, model, opt_eager)
        loss_compiled, log_compiled = _run_logged(step, compiled_net, opt_compiled)
        torch.testing.assert_close(loss_compiled, loss_eager, rtol=1e-4, atol=1e-5)
        assert log_compiled == log_eager and len(log_eager) == 3
    for p, q in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(q, p, rtol=1e-3, atol=1e-4)


def test_import_mercury_leaves_inductor_unloaded_until_compile_loads_it():
    """The inductor setting that keeps the log in order is applied when inductor's config is imported, so a plain
    `import mercury` does not pay for importing it."""
    import subprocess
    import sys
    code = ("import sys, torch, mercury\n"
            "assert 'torch._inductor.config' not in sys.modules\n"
            "import torch._inductor.config as c\n"
            "assert c.reorder_for_peak_memory is False\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr

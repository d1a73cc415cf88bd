"""The package imports cleanly: the op and convert need only libmercury_ops.so; rewrite names what is missing."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WITHOUT_BINDINGS = """
import sys
sys.modules["mercury._C"] = None          # as if _C were not built yet (seen mid-build)
import torch, mercury
net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3))
mercury.convert(net, example=torch.randn(1, 3, 8, 8), mode="observe")
net(torch.randn(1, 3, 8, 8))
try:
    mercury.rewrite(torch.jit.script(net))
except ImportError as e:
    print("ImportError:", e)
"""


def test_op_and_convert_work_without_the_rewrite_bindings():
    done = subprocess.run([sys.executable, "-c", WITHOUT_BINDINGS], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert done.returncode == 0, done.stderr
    assert "ImportError: mercury.rewrite needs the mercury._C bindings" in done.stdout
    assert "cmake -S . -B build" in done.stdout


def test_progress_prints_plain_lines_when_not_on_a_terminal(capsys):
    from mercury.study.progress import progress
    assert list(progress(range(20), "work", "step")) == list(range(20))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10 and lines[-1].startswith("work: 20/20 step") and "\r" not in "".join(lines)

"""The package imports cleanly: the op and convert need only libmercury_ops.so; rewrite names what is missing."""
import os
import subprocess
import sys
import warnings

import pytest

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
    assert "bash tests/build.sh" in done.stdout


def test_an_unsupported_torch_is_refused_by_name(monkeypatch, tmp_path):
    import torch
    from mercury import _torch_support
    monkeypatch.setattr(torch, "__version__", "2.1.2+cpu")
    with pytest.raises(ImportError, match=r"needs torch >= 2\.6 .*found torch 2\.1\.2\+cpu"):
        _torch_support.check_torch(str(tmp_path))


def test_a_library_built_for_another_torch_is_refused_with_the_rebuild_command(tmp_path):
    import torch
    from mercury import _torch_support
    (tmp_path / "torch_version.txt").write_text("2.11.0+cu130\n")
    with pytest.raises(ImportError, match=r"built against torch 2\.11\.0\+cu130, but torch .* rebuild them: bash "
                                          r"tests/build\.sh"):
        _torch_support.check_torch(str(tmp_path))
    (tmp_path / "torch_version.txt").write_text(torch.__version__ + "\n")
    _torch_support.check_torch(str(tmp_path))  # the same torch: accepted


def test_a_library_that_does_not_load_is_answered_with_the_rebuild_command(tmp_path):
    from mercury import _torch_support
    broken = tmp_path / "libmercury_ops.so"
    broken.write_bytes(b"not a shared library")
    with pytest.raises(ImportError, match=r"does not load with torch .*rebuild it: bash tests/build\.sh"):
        _torch_support.load_library(str(broken))


def test_the_ops_have_cuda_kernels_and_import_does_not_warn_on_a_cuda_build():
    """The device kernels are registered for CUDA in every build (they use ATen only): mercury.cuda_kernels says so,
    and importing mercury on a CUDA build of torch has nothing to warn about."""
    import mercury
    assert mercury.cuda_kernels is True
    # torch.version.cuda as PyPI's default build reports itself, GPU or not; any warning is an error.
    code = "import torch; torch.version.cuda = '13.0'; import mercury"
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 0, proc.stderr


def test_progress_prints_plain_lines_when_not_on_a_terminal(capsys):
    from mercury.study.progress import progress
    assert list(progress(range(20), "work", "step")) == list(range(20))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10 and lines[-1].startswith("work: 20/20 step") and "\r" not in "".join(lines)

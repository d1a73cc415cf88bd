"""The documentation runs: every example in the public modules' docstrings (doctest), and README's "Your own model"
block, executed as it stands."""
import doctest
import importlib
import re
from pathlib import Path

import pytest

from mercury import tools

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED = ["mercury.profiler", "mercury.schedules", "mercury.quality", "mercury.handlers", "mercury.convert",
              "mercury.order", "mercury.calibrate", "mercury.hitlog"]
needs_sim = pytest.mark.skipif(tools.find_tool("mercury-sim") is None, reason="mercury-sim is not built")


@needs_sim
@pytest.mark.parametrize("name", DOCUMENTED)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no example"
    assert result.failed == 0


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Your own model"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@needs_sim
def test_the_readme_example_runs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("transformers")
    code = readme_example()
    assert len(code.strip().splitlines()) <= 20
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert out.count("TOTAL (14 layers + 4 matmuls)") == 2 and out.count("ViTForImageClassification (random weights)") == 2 and "vit.layers.0.attention." in out
    assert "compare_exact): images 32, top1_agreement" in out and "--training" in out
    assert list((tmp_path / "runs" / "mercury").glob("events.out.tfevents.*"))

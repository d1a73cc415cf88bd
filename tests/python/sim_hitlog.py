"""Test helpers around mercury-sim -m HITLOG_DIR without -t, which builds each layer from its hit log's geometry
(sim/src/hitlog_topology.cpp): the product's hit log -> topology path."""
import csv
import subprocess

import pytest

import mercury
from mercury import tools

HITLOG_HEADER = ",".join(mercury.hitlog_columns())
REPORTS = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv", "MERCURY_REPORT.csv")


def hitlog_row(layer: dict) -> str:
    """One call of a conv (a dict with the hit log's geometry columns and N) in which every vector missed."""
    vectors = layer["N"] * layer["out_h"] * layer["out_w"]
    values = dict(layer, vectors=vectors, sig_bits=20, hits=0, misses=vectors, call=0, mode="observe",
                  vector_kind="patch", hitmap="")
    return ",".join(str(values.get(column, "")) for column in HITLOG_HEADER.split(","))


def write_hitlog(directory, calls_by_id: dict):
    """DIR/hitlog-NNN.csv per layer id, one row per call (calls_by_id: id -> list of hitlog_row dicts)."""
    directory.mkdir()
    for layer_id, calls in calls_by_id.items():
        rows = [HITLOG_HEADER] + [hitlog_row(call) for call in calls]
        (directory / f"hitlog-{layer_id:03d}.csv").write_text("\n".join(rows) + "\n")
    return directory


def run_sim(hitlog_dir, out, topology=None) -> subprocess.CompletedProcess:
    binary = tools.find_tool("mercury-sim")
    if binary is None:
        pytest.skip("mercury-sim is not built")
    cmd = [binary, "-c", tools.config_path(), "-m", str(hitlog_dir), "-o", str(out), "--memory", "fast"]
    return subprocess.run(cmd + (["-t", str(topology)] if topology else []), capture_output=True, text=True)


def sim_error(hitlog_dir, tmp_path) -> str:
    """mercury-sim's message when it refuses to build a topology from `hitlog_dir`."""
    proc = run_sim(hitlog_dir, tmp_path / "refused")
    assert proc.returncode != 0, proc.stdout
    return proc.stderr


def reports(hitlog_dir, out, topology=None) -> dict:
    """Every report's rows; MERCURY_REPORT's LayerName (the topology's row name) is left out."""
    proc = run_sim(hitlog_dir, out, topology)
    assert proc.returncode == 0, proc.stderr
    found = {}
    for name in REPORTS:
        with open(out / name, newline="") as f:
            found[name] = [{k.strip(): v.strip() for k, v in row.items() if k and k.strip() != "LayerName"}
                           for row in csv.DictReader(f)]
    return found


def layer_names(out) -> list:
    with open(out / "MERCURY_REPORT.csv", newline="") as f:
        return [row["LayerName"] for row in csv.DictReader(f)]


def assert_sim_builds(topology, hitlog_dir, tmp_path) -> None:
    """The layers mercury-sim builds from the hit log alone have the shapes of `topology` (a CSV): every report
    matches the run given that topology."""
    from_log = reports(hitlog_dir, tmp_path / "from_hitlog")
    assert layer_names(tmp_path / "from_hitlog") == [f"L{i:03d}" for i in range(len(from_log["MERCURY_REPORT.csv"]))]
    assert from_log == reports(hitlog_dir, tmp_path / "from_topology", topology)

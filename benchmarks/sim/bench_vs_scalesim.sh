#!/usr/bin/env bash
# Times mercury-sim against SCALE-Sim v2 (and v3) on ResNet-101 and GoogLeNet topologies (exported from the
# project's models) with configs/eyeriss_ws.cfg, compares their reports, and times the 3-model x 3-dataflow study.
#   bash benchmarks/sim/bench_vs_scalesim.sh SCALE_SIM_V2_DIR|- [LAYERS] [V3_PYTHON]     (KEEP=DIR keeps every report)
# LAYERS (default: all) keeps the first LAYERS rows of each topology for the SCALE-Sim comparison: SCALE-Sim walks
# address traces in Python and needs tens of minutes per full network. Needs a built build/sim/mercury-sim
# (or $MERCURY_SIM) and .venv/bin/python with numpy, pandas, tqdm. '-' skips SCALE-Sim v2 and the study.
# V3_PYTHON: a python with SCALE-Sim v3 (pip install scalesim==3.0.0 'numpy<2'): the v3 column, run through v3's API
# without traces (save_disk_space=True) on configs/eyeriss_ws_v3.cfg against mercury-sim --compat v3, dense and with
# every layer 2:4 (configs/eyeriss_ws_v3_sparse24.cfg, the topology's rows given a 2:4 column).
set -euo pipefail
SCALESIM="${1:?usage: bench_vs_scalesim.sh SCALE_SIM_V2_DIR|- [LAYERS] [V3_PYTHON]}"
LAYERS="${2:-0}"
V3_PYTHON="${3:-}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SIM="${MERCURY_SIM:-$ROOT/build/sim/mercury-sim}"
[ -x "$SIM" ] || { echo "build first: cmake -S . -B build && cmake --build build -j2 (or set MERCURY_SIM)" >&2; exit 1; }
PY="$ROOT/.venv/bin/python"; [ -x "$PY" ] || PY="${V3_PYTHON:-python3}"   # pandas, for compare_reports.py
if [ -n "${KEEP:-}" ]; then TMP="$KEEP"; mkdir -p "$TMP"; else TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT; fi
source "$ROOT/benchmarks/sim/topologies.sh"
study_topologies "$TMP"
head_of() {  # the topology the SCALE-Sim comparisons run: the first LAYERS rows of model $1
  local topo="$TMP/$1.csv"
  if [ "$LAYERS" -gt 0 ]; then head -n $((LAYERS + 1)) "$TMP/$1.csv" > "$TMP/${1}_head.csv"; topo="$TMP/${1}_head.csv"; fi
  echo "$topo"
}
if [ "$SCALESIM" != - ]; then
# 1. The study: 3 models x 3 dataflows, exact memory replay (default) and --memory fast.
for mode in exact fast; do
  s0=$(now)
  for m in alexnet resnet101 googlenet; do
    for df in ws os is; do
      "$SIM" -c "$ROOT/configs/eyeriss_$df.cfg" -t "$TMP/$m.csv" -o "$TMP/study_${m}_$df" --memory "$mode" > /dev/null
    done
  done
  echo "study (3 models x 3 dataflows, --memory $mode): $(elapsed "$s0") s"
done
# 2. ResNet-101 and GoogLeNet, eyeriss_ws: mercury-sim vs SCALE-Sim v2 (time and report agreement).
for m in resnet101 googlenet; do
  topo="$(head_of "$m")"
  rows=$(($(wc -l < "$topo") - 1))
  s0=$(now); "$SIM" -c "$ROOT/configs/eyeriss_ws.cfg" -t "$topo" -o "$TMP/ours_$m" > /dev/null; s1=$(now)
  (cd "$SCALESIM" && PYTHONPATH="$SCALESIM" "$ROOT/.venv/bin/python" -m scalesim.scale -c "$ROOT/configs/eyeriss_ws.cfg" \
     -t "$topo" -p "$TMP/scalesim_$m" > "$TMP/scalesim_$m.log" 2>&1)
  s2=$(now)
  ours=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }'); theirs=$(awk -v a="$s1" -v b="$s2" 'BEGIN { printf "%.2f", b - a }')
  echo "$m ($rows layers, eyeriss_ws): mercury-sim ${ours} s, SCALE-Sim v2 ${theirs} s ($(ratio "$theirs" "$ours")x)"
  "$PY" "$ROOT/benchmarks/sim/compare_reports.py" "$TMP/ours_$m" "$TMP/scalesim_$m"/* | tail -15
done
fi
# 3. The v3 column: SCALE-Sim v3 through its API (no traces) vs mercury-sim --compat v3, one run beside the other.
[ -n "$V3_PYTHON" ] || exit 0
: > "$TMP/empty_layout.csv"
v3_run() {  # model, rows, kind, config name, topology
  local out="$TMP/v3_$1_$3" s0 s1 s2 ours theirs
  s0=$(now); "$SIM" -c "$ROOT/configs/$4.cfg" -t "$5" --compat v3 -o "$out.ours" > /dev/null; s1=$(now)
  "$V3_PYTHON" -c "import sys
from scalesim.scale_sim import scalesim
scalesim(save_disk_space=True, verbose=False, config=sys.argv[1], topology=sys.argv[2],
         layout=sys.argv[3]).run_scale(top_path=sys.argv[4])" "$ROOT/configs/$4.cfg" "$5" "$TMP/empty_layout.csv" \
    "$out.v3" > "$out.log" 2>&1
  s2=$(now)
  ours=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.3f", b - a }'); theirs=$(awk -v a="$s1" -v b="$s2" 'BEGIN { printf "%.2f", b - a }')
  echo "$1 ($2 layers, $4): mercury-sim --compat v3 ${ours} s, SCALE-Sim v3 API ${theirs} s ($(ratio "$theirs" "$ours")x)"
  "$PY" "$ROOT/benchmarks/sim/compare_reports.py" "$out.ours" "$out.v3"/* | tail -15
}
for m in resnet101 googlenet; do
  topo="$(head_of "$m")"
  rows=$(($(wc -l < "$topo") - 1))
  awk 'NR == 1 { print $0 " Sparsity," } NR > 1 { print $0 " 2:4," }' "$topo" > "$TMP/${m}_24.csv"
  v3_run "$m" "$rows" dense eyeriss_ws_v3 "$topo"
  v3_run "$m" "$rows" sparse24 eyeriss_ws_v3_sparse24 "$TMP/${m}_24.csv"
done

#!/usr/bin/env bash
# Times mercury-sim against SCALE-Sim v2 on ResNet-101 and GoogLeNet topologies (exported from the project's models)
# with configs/eyeriss_ws.cfg, compares their reports, and times the 3-model x 3-dataflow study.
#   bash benchmarks/sim/bench_vs_scalesim.sh SCALE_SIM_V2_DIR [LAYERS]     (KEEP=DIR keeps every report)
# LAYERS (default: all) keeps the first LAYERS rows of each topology for the SCALE-Sim comparison: SCALE-Sim walks
# address traces in Python and needs tens of minutes per full network. Needs a built build/sim/mercury-sim
# (or $MERCURY_SIM) and .venv/bin/python with numpy, pandas, tqdm.
set -euo pipefail
SCALESIM="${1:?usage: bench_vs_scalesim.sh SCALE_SIM_V2_DIR [LAYERS]}"
LAYERS="${2:-0}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SIM="${MERCURY_SIM:-$ROOT/build/sim/mercury-sim}"
[ -x "$SIM" ] || { echo "build first: cmake -S . -B build && cmake --build build -j2 (or set MERCURY_SIM)" >&2; exit 1; }
if [ -n "${KEEP:-}" ]; then TMP="$KEEP"; mkdir -p "$TMP"; else TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT; fi
source "$ROOT/benchmarks/sim/topologies.sh"
study_topologies "$TMP"
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
  topo="$TMP/$m.csv"
  if [ "$LAYERS" -gt 0 ]; then head -n $((LAYERS + 1)) "$TMP/$m.csv" > "$TMP/${m}_head.csv"; topo="$TMP/${m}_head.csv"; fi
  rows=$(($(wc -l < "$topo") - 1))
  s0=$(now); "$SIM" -c "$ROOT/configs/eyeriss_ws.cfg" -t "$topo" -o "$TMP/ours_$m" > /dev/null; s1=$(now)
  (cd "$SCALESIM" && PYTHONPATH="$SCALESIM" "$ROOT/.venv/bin/python" -m scalesim.scale -c "$ROOT/configs/eyeriss_ws.cfg" \
     -t "$topo" -p "$TMP/scalesim_$m" > "$TMP/scalesim_$m.log" 2>&1)
  s2=$(now)
  ours=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }'); theirs=$(awk -v a="$s1" -v b="$s2" 'BEGIN { printf "%.2f", b - a }')
  echo "$m ($rows layers, eyeriss_ws): mercury-sim ${ours} s, SCALE-Sim v2 ${theirs} s ($(ratio "$theirs" "$ours")x)"
  "$ROOT/.venv/bin/python" "$ROOT/benchmarks/sim/compare_reports.py" "$TMP/ours_$m" "$TMP/scalesim_$m"/* \
    | tail -15
done

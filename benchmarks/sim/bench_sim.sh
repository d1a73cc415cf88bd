#!/usr/bin/env bash
# Times mercury-sim: the three-model study (AlexNet, ResNet-101, GoogLeNet topologies exported from the real models)
# under ws, os and is on the Eyeriss-like array, exact memory replay; optionally against SCALE-Sim v2 on the same input.
#   bash benchmarks/sim/bench_sim.sh [SCALE_SIM_V2_DIR]
# Uses $MERCURY_SIM, else build/sim/mercury-sim, else build-sim/mercury-sim. With a SCALE-Sim checkout it also times
# SCALE-Sim on SCALE-Sim's own alexnet.csv (ws), which takes minutes.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/benchmarks/sim/topologies.sh"
SIM="${MERCURY_SIM:-$ROOT/build/sim/mercury-sim}"
[ -x "$SIM" ] || SIM="$ROOT/build-sim/mercury-sim"
[ -x "$SIM" ] || { echo "build first: cmake -S sim -B build-sim && cmake --build build-sim -j2 (or set MERCURY_SIM)" >&2; exit 1; }
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
study_topologies "$TMP"
layers=$(($(wc -l < "$TMP/alexnet.csv") + $(wc -l < "$TMP/resnet101.csv") + $(wc -l < "$TMP/googlenet.csv") - 3))
start=$(now)
for m in alexnet resnet101 googlenet; do
  for df in ws os is; do
    "$SIM" -c "$ROOT/configs/eyeriss_$df.cfg" -t "$TMP/$m.csv" -o "$TMP/out_${m}_$df" > /dev/null
  done
done
echo "mercury-sim ($SIM): 3 models x 3 dataflows (9 runs, $layers layers per dataflow) in $(elapsed "$start") s"
if [ $# -ge 1 ]; then
  SCALESIM="$1"
  topo="$SCALESIM/topologies/conv_nets/alexnet.csv"
  s0=$(now); "$SIM" -c "$ROOT/configs/eyeriss_ws.cfg" -t "$topo" -o "$TMP/ours" > /dev/null; ours=$(elapsed "$s0")
  s1=$(now)
  (cd "$SCALESIM" && PYTHONPATH="$SCALESIM" "$ROOT/.venv/bin/python" -m scalesim.scale -c "$ROOT/configs/eyeriss_ws.cfg" \
     -t "$topo" -p "$TMP/scalesim" > /dev/null 2>&1)
  theirs=$(elapsed "$s1")
  echo "SCALE-Sim alexnet.csv ws: mercury-sim ${ours} s, SCALE-Sim v2 ${theirs} s, ratio $(ratio "$theirs" "$ours")x"
  diff <(cut -d, -f1-3 "$TMP/ours/COMPUTE_REPORT.csv") <(cut -d, -f1-3 "$TMP"/scalesim/*/COMPUTE_REPORT.csv | sed 's/\.0,/,/g') \
    && echo "total and stall cycles identical on all layers"
fi

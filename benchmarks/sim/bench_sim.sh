#!/usr/bin/env bash
# Times mercury-sim: the three-model study (AlexNet, ResNet-101, GoogLeNet topologies exported from the real models)
# under ws, os and is on the Eyeriss-like array; optionally against SCALE-Sim v2 on the same input.
#   bash benchmarks/sim/bench_sim.sh [SCALE_SIM_V2_DIR]
# With a SCALE-Sim checkout it also times SCALE-Sim on SCALE-Sim's own alexnet.csv (ws), which takes minutes.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SIM="$ROOT/build/sim/mercury-sim"
[ -x "$SIM" ] || { echo "build first: cmake -S . -B build && cmake --build build -j2" >&2; exit 1; }
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
for m in alexnet resnet101 googlenet; do
  PYTHONPATH="$ROOT" /usr/bin/python3 -m models.export_topology "$m" -o "$TMP/$m.csv" > /dev/null
  for df in ws os is; do cp "$TMP/$m.csv" "$TMP/${m}_$df.csv"; done
done
start=$(date +%s.%N)
for m in alexnet resnet101 googlenet; do
  for df in ws os is; do
    "$SIM" -c "$ROOT/configs/eyeriss_$df.cfg" -t "$TMP/$m.csv" -o "$TMP/out_${m}_$df" > /dev/null
  done
done
end=$(date +%s.%N)
echo "mercury-sim: 3 models x 3 dataflows (9 runs, $(($(wc -l < "$TMP/alexnet.csv") + $(wc -l < "$TMP/resnet101.csv") + $(wc -l < "$TMP/googlenet.csv") - 3)) layers each dataflow) in $(echo "$end - $start" | bc) s"
if [ $# -ge 1 ]; then
  SCALESIM="$1"
  topo="$SCALESIM/topologies/conv_nets/alexnet.csv"
  s0=$(date +%s.%N); "$SIM" -c "$ROOT/configs/eyeriss_ws.cfg" -t "$topo" -o "$TMP/ours" > /dev/null; s1=$(date +%s.%N)
  (cd "$SCALESIM" && PYTHONPATH="$SCALESIM" /usr/bin/python3 -m scalesim.scale -c "$ROOT/configs/eyeriss_ws.cfg" \
     -t "$topo" -p "$TMP/scalesim" > /dev/null 2>&1)
  s2=$(date +%s.%N)
  ours=$(echo "$s1 - $s0" | bc); theirs=$(echo "$s2 - $s1" | bc)
  echo "SCALE-Sim alexnet.csv ws: mercury-sim ${ours} s, SCALE-Sim v2 ${theirs} s, ratio $(echo "$theirs / $ours" | bc)x"
  diff <(cut -d, -f1-3 "$TMP/ours/COMPUTE_REPORT.csv") <(cut -d, -f1-3 "$TMP"/scalesim/*/COMPUTE_REPORT.csv | sed 's/\.0,/,/g') \
    && echo "total and stall cycles identical on all layers"
fi

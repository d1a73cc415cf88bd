# Sourced by bench_sim.sh and bench_vs_scalesim.sh: study_topologies DIR writes alexnet.csv, resnet101.csv and
# googlenet.csv into DIR, exported from the project's models (python -m mercury.topology, needs torch) or, when the
# export fails, copied from the committed exports (benchmarks/sim/topologies/, sim/tests/fixtures/googlenet.csv),
# and says which. elapsed START: seconds since START (date +%s.%N), without bc.
study_topologies() {
  local dir="$1" root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  for m in alexnet resnet101 googlenet; do
    if PYTHONPATH="$root" "$root/.venv/bin/python" -m mercury.topology "$m" -o "$dir/$m.csv" > "$dir/$m.export.log" 2>&1; then
      echo "topology $m: exported from models/ ($(($(wc -l < "$dir/$m.csv") - 1)) layers)"
    else
      local committed="$root/benchmarks/sim/topologies/$m.csv"
      [ "$m" = googlenet ] && committed="$root/sim/tests/fixtures/googlenet.csv"
      cp "$committed" "$dir/$m.csv"
      echo "topology $m: export failed (see below), using the committed ${committed#"$root"/}"
      tail -n 2 "$dir/$m.export.log" | sed 's/^/  export: /'
    fi
  done
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'; }

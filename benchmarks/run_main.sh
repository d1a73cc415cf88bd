#!/usr/bin/env bash
# README's main command. On a fresh Debian 12 machine it installs what is missing (Debian packages, the packaged
# data sets: quiet when nothing is missing), builds the op library, the rewrite bindings and mercury-sim (no test
# binaries), then runs the study with its defaults (python3 -m mercury.study: resnet101, 4 batches x 8 real
# photos, observe mode, configs/eyeriss_ws.cfg). Extra arguments go to the study, e.g.
#   bash benchmarks/run_main.sh --models all --mode reuse
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install.sh
bash .ci/fetch_data.sh > /dev/null
echo "== building the op library, mercury._C and mercury-sim (log: build.log)"
bash tests/build.sh mercury_ops mercury_python mercury-sim mercury-rewrite
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3 -m mercury.study "$@"

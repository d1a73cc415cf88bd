#!/usr/bin/env bash
# README's main command. On a fresh Debian 12 machine it installs what is missing (Debian packages, the packaged
# data sets: quiet when nothing is missing), builds the op library, the rewrite bindings and mercury-sim (no test
# binaries), then runs the study (python3 -m mercury.study). Without arguments: the trained InceptionV3 (npm's
# nsfwjs) on 4 batches x 8 real photos, calibrated per layer on the first 2 batches and evaluated on the other 2,
# with the trade-off curve and the reuse headroom, simulated on configs/eyeriss_ws.cfg. With arguments, only
# those go to the study, e.g.
#   bash benchmarks/run_main.sh --models all --mode reuse      # random-weight AlexNet, GoogLeNet, ResNet-101
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install.sh
bash .ci/fetch_data.sh > /dev/null
echo "== building the op library, mercury._C and mercury-sim (log: build.log)"
bash tests/build.sh mercury_ops mercury_python mercury-sim mercury-rewrite
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ $# -eq 0 ]; then
  set -- --models inception_v3_nsfwjs --calibrate-batches 2 --curve --headroom
fi
exec .venv/bin/python -m mercury.study "$@"

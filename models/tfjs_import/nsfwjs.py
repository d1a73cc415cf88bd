"""The two pretrained nsfwjs classifiers (npm `nsfwjs@4.3.0`, MIT, https://github.com/infinitered/nsfwjs), read
from the folder `.ci/fetch_data.sh` unpacks them into."""
import base64
import os
from typing import Any, Dict, Optional, Tuple

import numpy as np

from models.tfjs_import.builder import load_tfjs_layers_model
from models.tfjs_import.js_literal import read_browserify_export
from models.tfjs_import.keras_layers import KerasGraph
from models.tfjs_import.weights import decode_weights

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NSFWJS_DIR = os.path.join(ROOT, "data", "npm", "nsfwjs")
NSFWJS_CLASSES = ("Drawing", "Hentai", "Neutral", "Porn", "Sexy")
# zoo name -> (folder in the nsfwjs package's dist/models, input size)
NSFWJS_MODELS = {"inception_v3_nsfwjs": ("inception_v3", 299), "mobilenet_v2_nsfwjs": ("mobilenet_v2", 224)}
FETCH_HINT = "run `bash .ci/fetch_data.sh` (it unpacks npm's nsfwjs@4.3.0 models into data/npm/nsfwjs)"


def nsfwjs_model_dir(name: str, data_dir: Optional[str] = None) -> str:
    """Folder of nsfwjs model `name` (inception_v3 / mobilenet_v2 or the zoo names); FileNotFoundError when
    model.min.js is missing."""
    folder = NSFWJS_MODELS[name][0] if name in NSFWJS_MODELS else name
    base = data_dir or os.environ.get("MERCURY_NSFWJS") or NSFWJS_DIR
    path = os.path.join(base, folder)
    if not os.path.isfile(os.path.join(path, "model.min.js")):
        raise FileNotFoundError(f"nsfwjs model {folder!r} not found in {base}: {FETCH_HINT}")
    return path


def read_nsfwjs_model(name: str, data_dir: Optional[str] = None) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """(model.json as a dict, dequantized weights by name) of an unpacked nsfwjs model folder."""
    path = nsfwjs_model_dir(name, data_dir)
    model_json = read_browserify_export(os.path.join(path, "model.min.js"))
    shards: Dict[str, bytes] = {}
    for group in model_json["weightsManifest"]:
        for p in group["paths"]:
            f = os.path.join(path, p + ".min.js")
            if not os.path.isfile(f):
                raise FileNotFoundError(f"nsfwjs weight shard {f} missing: {FETCH_HINT}")
            shards[p] = base64.b64decode(read_browserify_export(f))
    return model_json, decode_weights(model_json["weightsManifest"], shards)


def build_nsfwjs(name: str, data_dir: Optional[str] = None, drop_final_softmax: bool = True,
                 num_classes: int = 5) -> KerasGraph:
    """nsfwjs model `name` ("inception_v3_nsfwjs" / "mobilenet_v2_nsfwjs" or the package's folder names) as an
    eval-mode KerasGraph taking NCHW RGB in [0, 1] at its native size and returning the 5 logits.
    (num_classes is there for models.zoo.build: only 5 is accepted.)"""
    if num_classes != len(NSFWJS_CLASSES):
        raise ValueError(f"nsfwjs models have {len(NSFWJS_CLASSES)} classes, num_classes={num_classes} given")
    model_json, weights = read_nsfwjs_model(name, data_dir)
    return load_tfjs_layers_model(model_json, weights, drop_final_softmax=drop_final_softmax)

"""Import TensorFlow.js Keras "layers" models into PyTorch, and the two pretrained nsfwjs classifiers.

    load_tfjs_layers_model(model_json, weights)   -> KerasGraph (nn.Module), from a parsed model.json + weights
    read_nsfwjs_model(name, data_dir=None)        -> (model_json dict, {weight name: float32 ndarray})
    build_nsfwjs(name, data_dir=None)             -> eval-mode KerasGraph: NCHW RGB in [0, 1] -> 5 logits
    nsfwjs_preprocess(images, size)               -> float32 [N, 3, size, size] (pixels / 255, align-corners
                                                     bilinear squash to size x size), as nsfwjs does it

nsfwjs (npm `nsfwjs@4.3.0`, MIT, https://github.com/infinitered/nsfwjs) ships its TF.js models as browserify
modules: `dist/models/<name>/model.min.js` exports the model.json object (a JavaScript object literal, not JSON:
unquoted keys, `!0`/`!1` for true/false, `.5` numbers) and `group1-shard<i>of<n>.min.js` exports one weight shard
as a base64 string. `.ci/fetch_data.sh` unpacks them, without running any of the package's code, into
<repo>/data/npm/nsfwjs/<name>/ ($MERCURY_NSFWJS overrides the folder). They are read by a small JavaScript
literal parser (js_literal.py): nothing is evaluated. The weights are uint8-quantized per tensor (value =
min + scale * q, the manifest's quantization fields, as TF.js dequantizes them).

Models (Keras 2.2.4 functional models converted to TF.js; class order Drawing, Hentai, Neutral, Porn, Sexy):
    inception_v3_nsfwjs   InceptionV3 body (BatchNorm without gamma), 299x299 input
    mobilenet_v2_nsfwjs   MobileNetV2 (alpha 1.0) body, 224x224 input
Both end in AveragePooling2D -> Flatten -> Dense 256 relu -> Dropout -> Dense 128 relu -> Dropout -> Dense 5
softmax. The importer drops the final softmax by default, so the modules return the 5 pre-softmax logits.
(`mobilenet_v2_mid`, a TF.js graph model, is not supported.)

The Keras DAG becomes a `KerasGraph`: an nn.ModuleList of layer modules in topological (= Keras) order, each
taking a List[Tensor] of its inputs, plus integer index lists saying which earlier outputs feed each layer and
which outputs can be released after it. `forward` walks that list; it compiles with torch.jit.script. Every
convolution is a real nn.Conv2d (inside a `Conv` wrapper with an optional nn.ZeroPad2d), so mercury.convert /
mercury.rewrite swap them like any other conv. Tensors are NCHW inside; NHWC/HWIO weights are transposed.

TF "same" padding is resolved statically from the model's input shape (the layers' input sizes are found by
running a zero tensor through the layers as they are built): total = max((ceil(in / s) - 1) * s + (k - 1) * d +
1 - in, 0), split as total // 2 before and the rest after (the extra pixel goes bottom/right). When both
spatial splits are symmetric the padding sits inside nn.Conv2d; otherwise an explicit nn.ZeroPad2d precedes a
padding=0 nn.Conv2d. A model built for one input size therefore keeps that padding at other sizes (only strided
"same" layers are affected). Pooling follows TF too: "same" max pooling pads with -inf, "same" average pooling
excludes the padding from the count.

Modules: js_literal (the *.min.js literals), weights (manifest -> arrays), keras_layers (the PyTorch modules),
layer_builders (one Keras layer config -> its module), builder (model.json -> KerasGraph), nsfwjs (the two
models' files), preprocess (nsfwjs' input pipeline, photos).
"""
from models.tfjs_import.builder import load_tfjs_layers_model
from models.tfjs_import.js_literal import parse_js_literal, read_browserify_export
from models.tfjs_import.keras_layers import KerasGraph, tf_same_pads
from models.tfjs_import.nsfwjs import (NSFWJS_CLASSES, NSFWJS_MODELS, build_nsfwjs, nsfwjs_model_dir,
                                      read_nsfwjs_model)
from models.tfjs_import.preprocess import (REFERENCE_PHOTOS, load_photos, nsfwjs_batches, nsfwjs_preprocess,
                                          reference_photo_paths)
from models.tfjs_import.weights import decode_weights

__all__ = ["NSFWJS_CLASSES", "NSFWJS_MODELS", "REFERENCE_PHOTOS", "KerasGraph", "build_nsfwjs", "decode_weights",
           "load_photos", "load_tfjs_layers_model", "nsfwjs_batches", "nsfwjs_model_dir", "nsfwjs_preprocess",
           "parse_js_literal", "read_browserify_export", "read_nsfwjs_model", "reference_photo_paths", "tf_same_pads"]

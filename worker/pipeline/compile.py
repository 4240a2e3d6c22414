"""Template compile: precompute what alignment and reading need, stored as npz (never pickle)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .schemas import RegionLike

FORMAT_VERSION = 1
# Features are computed on images scaled so the longest side is at most this (query too), which
# keeps SIFT time bounded on 4000 px photos without losing the layout's structure.
FEATURE_SIDE = 768
MAX_TEMPLATE_FEATURES = 2000


@dataclass(frozen=True)
class CompiledTemplate:
    """Decoded compile output. Coordinates are template pixels."""

    image_size: tuple[int, int]  # (width, height)
    keypoints: np.ndarray  # (N, 2) float32
    descriptors: np.ndarray  # (N, 128) float32 SIFT
    region_names: tuple[str, ...]
    region_quads: np.ndarray  # (R, 4, 2) float32
    line_heights: np.ndarray  # (R,) float32, text line height inside each region


def feature_scale(width: int, height: int) -> float:
    return min(1.0, FEATURE_SIDE / max(width, height))


def sift_features(gray: np.ndarray, max_features: int) -> tuple[np.ndarray, np.ndarray]:
    """SIFT keypoints (x, y in the given image's pixels) and float32 descriptors."""
    sift = cv2.SIFT_create(nfeatures=max_features)
    keypoints, descriptors = sift.detectAndCompute(gray, None)
    if descriptors is None or not keypoints:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
    points = np.array([kp.pt for kp in keypoints], dtype=np.float32)
    return points, descriptors.astype(np.float32)


def to_gray_scaled(image: np.ndarray) -> tuple[np.ndarray, float]:
    height, width = image.shape[:2]
    scale = feature_scale(width, height)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    if scale < 1.0:
        gray = cv2.resize(gray, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    return gray, scale


def measure_line_height(gray: np.ndarray, quad: np.ndarray) -> float:
    """Typical text line height inside `quad`, from the row profile of the binarised region.

    Ink is the minority class after Otsu (dark-on-light or light-on-dark); runs of rows holding
    ink are text lines. Falls back to the region height when no run is found.
    """
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, gray.shape[1]), min(y1, gray.shape[0])
    region_height = float(max(y1 - y0, 1))
    patch = gray[y0:y1, x0:x1]
    if patch.size == 0 or patch.std() < 8:
        return region_height
    _, binary = cv2.threshold(patch, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = binary if binary.mean() < 0.5 else 1 - binary
    rows = ink.sum(axis=1) > max(1, 0.01 * ink.shape[1])
    runs: list[int] = []
    length = 0
    for has_ink in rows:
        if has_ink:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    if length:
        runs.append(length)
    runs = [run for run in runs if run >= 4]
    if not runs:
        return region_height
    return float(min(max(runs), region_height))


def compile_template(image: np.ndarray, regions: Sequence[RegionLike]) -> bytes:
    """Keypoints + descriptors of the reference, image size, region quads and line heights as npz."""
    height, width = image.shape[:2]
    gray_full = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    gray, scale = to_gray_scaled(image)
    points, descriptors = sift_features(gray, MAX_TEMPLATE_FEATURES)
    quads = np.array([[list(point) for point in region.quad] for region in regions], dtype=np.float32)
    quads = quads.reshape(-1, 4, 2)
    heights = np.array([measure_line_height(gray_full, quad) for quad in quads], dtype=np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        version=np.array(FORMAT_VERSION),
        image_size=np.array([width, height], dtype=np.int32),
        keypoints=points / scale,
        # SIFT descriptor values are integers 0..255 stored as float; uint8 loses nothing.
        descriptors=np.clip(np.rint(descriptors), 0, 255).astype(np.uint8),
        region_names=np.array([region.name for region in regions], dtype=np.str_),
        region_quads=quads,
        line_heights=heights,
    )
    return buffer.getvalue()


def load_compiled(data: bytes) -> CompiledTemplate:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        version = int(npz["version"])
        if version != FORMAT_VERSION:
            raise ValueError(f"compiled template format {version} is not {FORMAT_VERSION}; recompile")
        width, height = (int(v) for v in npz["image_size"])
        return CompiledTemplate(
            image_size=(width, height),
            keypoints=npz["keypoints"].astype(np.float32),
            descriptors=npz["descriptors"].astype(np.float32),
            region_names=tuple(str(name) for name in npz["region_names"]),
            region_quads=npz["region_quads"].astype(np.float32),
            line_heights=npz["line_heights"].astype(np.float32),
        )

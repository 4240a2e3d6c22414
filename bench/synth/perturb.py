"""Photo-like distortions of a rendered document, with the exact homography from layout to query pixels."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np

from bench.synth.values import Rng

PAPER_FILL = (235, 235, 235)  # what a flatbed scanner shows around a rotated page


@dataclass(frozen=True)
class Perturbation:
    """The drawn parameters of one query's distortion (JSON-serialisable via as_dict)."""

    turn: int  # quarter turns clockwise applied last: 0, 90, 180 or 270 degrees
    rotation_deg: float
    corner_shift: tuple[
        tuple[float, float], ...
    ]  # perspective: each page corner moved by this fraction of w, h
    scale: float
    background: bool  # page lies on a textured surface with a border around it
    border: float  # margin around the page as a fraction of its long side
    lighting: float  # strength of the uneven-light gain field (0 = even)
    blur_sigma: float
    noise_sigma: float
    jpeg_quality: int | None
    seed: int  # drives textures and pixel noise

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def is_identity(self) -> bool:
        return self == NO_PERTURBATION


NO_PERTURBATION = Perturbation(
    turn=0,
    rotation_deg=0.0,
    corner_shift=((0.0, 0.0),) * 4,
    scale=1.0,
    background=False,
    border=0.0,
    lighting=0.0,
    blur_sigma=0.0,
    noise_sigma=0.0,
    jpeg_quality=None,
    seed=0,
)


def sample_perturbation(rng: Rng) -> Perturbation:
    """Draw every distortion at once: geometry always, photometric ones each with their own odds."""
    turn = int(rng.choice([0, 90, 180, 270], p=[0.7, 0.1, 0.1, 0.1]))
    scale = float(np.exp(rng.uniform(np.log(0.5), np.log(2.0))))
    shift = rng.uniform(-0.06, 0.06, size=(4, 2)) if rng.random() < 0.7 else np.zeros((4, 2))
    background = bool(rng.random() < 0.6)
    return Perturbation(
        turn=turn,
        rotation_deg=round(float(rng.uniform(-15, 15)), 2),
        corner_shift=tuple((round(float(dx), 4), round(float(dy), 4)) for dx, dy in shift),
        scale=round(scale, 3),
        background=background,
        border=round(float(rng.uniform(0.04, 0.15)), 3) if background else 0.0,
        lighting=round(float(rng.uniform(0.15, 0.4)), 3) if rng.random() < 0.5 else 0.0,
        # blur is kept proportional to scale so small copies stay legible to a human
        blur_sigma=round(float(rng.uniform(0.5, 1.4) * min(1.0, scale)), 2) if rng.random() < 0.5 else 0.0,
        noise_sigma=round(float(rng.uniform(2, 8)), 2) if rng.random() < 0.5 else 0.0,
        jpeg_quality=int(rng.integers(30, 86)),
        seed=int(rng.integers(2**31)),
    )


def _page_homography(width: int, height: int, p: Perturbation) -> np.ndarray:
    """Layout pixels -> distorted page pixels (before placing on the canvas)."""
    src = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    dst = src + np.float32(p.corner_shift) * np.float32([width, height])
    centre = np.float32([width / 2, height / 2])
    angle = np.deg2rad(p.rotation_deg)
    rotate = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = (dst - centre) @ rotate.T * p.scale + centre * p.scale
    return cv2.getPerspectiveTransform(src, dst.astype(np.float32))


def _texture(height: int, width: int, rng: Rng) -> np.ndarray:
    """A desk-like surface: a random base colour, low-frequency blotches and fine grain."""
    base = rng.uniform(40, 200, size=3)
    blotches = cv2.resize(rng.normal(0, 1, size=(8, 8, 3)).astype(np.float32), (width, height))
    grain = rng.normal(0, 1, size=(height, width, 1)).astype(np.float32)
    surface = base + blotches * rng.uniform(8, 30) + grain * rng.uniform(2, 8)
    if rng.random() < 0.5:  # wood-like streaks
        streaks = np.sin(np.arange(height, dtype=np.float32) / rng.uniform(3, 12))[:, None, None]
        surface += streaks * rng.uniform(4, 15)
    return np.clip(surface, 0, 255).astype(np.uint8)


def _turn(image: np.ndarray, turn: int) -> tuple[np.ndarray, np.ndarray]:
    """Rotate by quarter turns clockwise; also return the matching pixel-coordinate transform."""
    height, width = image.shape[:2]
    if turn == 0:
        return image, np.eye(3)
    if turn == 90:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE), np.array(
            [[0, -1, height - 1], [1, 0, 0], [0, 0, 1.0]]
        )
    if turn == 180:
        return cv2.rotate(image, cv2.ROTATE_180), np.array(
            [[-1, 0, width - 1], [0, -1, height - 1], [0, 0, 1.0]]
        )
    if turn == 270:
        return (
            cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE),
            np.array([[0, 1, 0], [-1, 0, width - 1], [0, 0, 1.0]]),
        )
    raise ValueError(f"turn must be 0, 90, 180 or 270, not {turn}")


def _lighting(image: np.ndarray, strength: float, rng: Rng) -> np.ndarray:
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (xs / width - 0.5) * np.cos(angle) + (ys / height - 0.5) * np.sin(angle)
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    spot = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * (0.35 * max(width, height)) ** 2))
    gain = 1 + strength * (ramp * 1.2 + 0.6 * spot - 0.3)
    return np.clip(image.astype(np.float32) * gain[:, :, None], 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class PerturbedImage:
    image: np.ndarray  # BGR, exactly what decoding `data` yields
    data: bytes  # the file: JPEG at the drawn quality, PNG when there is none
    ext: str  # ".jpg" or ".png"
    homography: np.ndarray  # 3x3, layout pixels -> query pixels


def _encode(image: np.ndarray, jpeg_quality: int | None) -> tuple[bytes, str]:
    ext = ".png" if jpeg_quality is None else ".jpg"
    params = [] if jpeg_quality is None else [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
    ok, encoded = cv2.imencode(ext, image, params)
    if not ok:
        raise RuntimeError(f"could not encode a {image.shape} image as {ext}")
    return encoded.tobytes(), ext


def apply_perturbation(image: np.ndarray, p: Perturbation) -> PerturbedImage:
    """Distort a BGR page and encode it as the query file."""
    if p.is_identity:
        data, ext = _encode(image, None)
        return PerturbedImage(image.copy(), data, ext, np.eye(3))
    rng = np.random.default_rng(p.seed)
    height, width = image.shape[:2]
    page = _page_homography(width, height, p)
    corners = cv2.perspectiveTransform(
        np.float32([[[0, 0], [width, 0], [width, height], [0, height]]]), page
    )[0]
    margin = p.border * max(width, height) * p.scale
    x0, y0 = corners.min(axis=0) - margin
    x1, y1 = corners.max(axis=0) + margin
    to_canvas = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]]) @ page
    size = (int(np.ceil(x1 - x0)), int(np.ceil(y1 - y0)))
    if p.background:
        canvas = _texture(size[1], size[0], rng)
        mask = cv2.warpPerspective(
            np.full((height, width), 255, np.uint8), to_canvas, size, flags=cv2.INTER_LINEAR
        )
        warped = cv2.warpPerspective(image, to_canvas, size, flags=cv2.INTER_LINEAR)
        alpha = mask.astype(np.float32)[:, :, None] / 255
        canvas = (warped * alpha + canvas * (1 - alpha)).astype(np.uint8)
    else:
        canvas = cv2.warpPerspective(
            image,
            to_canvas,
            size,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=PAPER_FILL,
        )
    canvas, turn = _turn(canvas, p.turn)
    homography = turn @ to_canvas
    if p.lighting:
        canvas = _lighting(canvas, p.lighting, rng)
    if p.blur_sigma:
        canvas = cv2.GaussianBlur(canvas, (0, 0), p.blur_sigma)
    if p.noise_sigma:
        canvas = np.clip(canvas + rng.normal(0, p.noise_sigma, canvas.shape), 0, 255).astype(np.uint8)
    data, ext = _encode(canvas, p.jpeg_quality)
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return PerturbedImage(decoded, data, ext, homography / homography[2, 2])

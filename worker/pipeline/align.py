"""Query -> template alignment: SIFT + MAGSAC homography behind a quality gate, then fallbacks.

Every function returns a homography mapping *template* pixels to *query* pixels, or None.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .compile import CompiledTemplate, feature_scale, sift_features, to_gray_scaled

MAX_QUERY_FEATURES = 2000
RATIO_TEST = 0.75
RANSAC_THRESHOLD_PX = 4.0  # at feature scale (longest side <= FEATURE_SIDE)


@dataclass(frozen=True)
class GateLimits:
    """What a homography must satisfy to be trusted (measured on the shared real screens and
    rendered perturbations: good fits have tens to hundreds of inliers, ratio > 0.2, error < 2 px)."""

    min_inliers: int = 12
    min_inlier_ratio: float = 0.08
    max_reprojection_px: float = 4.0
    min_scale: float = 0.05
    max_scale: float = 20.0
    min_corner_angle_deg: float = 25.0


@dataclass
class Fit:
    homography: np.ndarray
    inliers: int
    inlier_ratio: float
    reprojection_error: float
    confidence: float


def corner_angles(quad: np.ndarray) -> np.ndarray:
    angles = []
    for i in range(4):
        a, b, c = quad[i - 1], quad[i], quad[(i + 1) % 4]
        u, v = a - b, c - b
        cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9))
        angles.append(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
    return np.array(angles)


def signed_area(quad: np.ndarray) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def project(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), homography).reshape(-1, 2)


def sane_homography(
    homography: np.ndarray, template_size: tuple[int, int], query_size: tuple[int, int], limits: GateLimits
) -> str | None:
    """None when the matrix is plausible; otherwise why not."""
    if not np.all(np.isfinite(homography)) or abs(np.linalg.det(homography)) < 1e-12:
        return "degenerate matrix"
    width, height = template_size
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    # Points behind the camera (w <= 0) mean the page folds through infinity.
    homogeneous = np.c_[corners, np.ones(4)] @ homography.T
    if np.any(homogeneous[:, 2] <= 0):
        return "page crosses the horizon"
    projected = homogeneous[:, :2] / homogeneous[:, 2:]
    area_t, area_q = signed_area(corners), signed_area(projected)
    if area_q <= 0:
        return "mirrored (orientation-reversing)"
    if not cv2.isContourConvex(projected.astype(np.float32).reshape(-1, 1, 2)):
        return "projected page is not convex"
    scale = float(np.sqrt(area_q / area_t))
    if not limits.min_scale <= scale <= limits.max_scale:
        return f"scale {scale:.3f} out of bounds"
    if corner_angles(projected).min() < limits.min_corner_angle_deg:
        return "projected page too skewed"
    query_w, query_h = query_size
    x0, y0 = projected.min(axis=0)
    x1, y1 = projected.max(axis=0)
    overlap_w = max(0.0, min(x1, query_w) - max(x0, 0.0))
    overlap_h = max(0.0, min(y1, query_h) - max(y0, 0.0))
    if overlap_w * overlap_h < 0.25 * (x1 - x0) * (y1 - y0):
        return "page mostly outside the query image"
    return None


def fit_confidence(inliers: int, inlier_ratio: float, error: float) -> float:
    """0..1: saturates at 40 inliers, ratio 0.3 and sub-pixel error; 0 at 4 px error."""
    return float(
        min(1.0, inliers / 40.0) * min(1.0, inlier_ratio / 0.3) * np.clip((4.0 - error) / 3.0, 0.0, 1.0)
    )


def align_features(
    template: CompiledTemplate, query: np.ndarray, limits: GateLimits | None = None
) -> tuple[Fit | None, str]:
    """SIFT matches (ratio test) -> MAGSAC homography -> quality gate. Returns (fit, reason)."""
    limits = limits or GateLimits()
    if len(template.keypoints) < limits.min_inliers:
        return None, "template has too few features"
    gray, scale = to_gray_scaled(query)
    query_points, query_desc = sift_features(gray, MAX_QUERY_FEATURES)
    if len(query_points) < limits.min_inliers:
        return None, f"query has {len(query_points)} features"
    matcher = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 4}, {"checks": 64})
    pairs = matcher.knnMatch(query_desc, template.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO_TEST * p[1].distance]
    if len(good) < limits.min_inliers:
        return None, f"{len(good)} feature matches"
    # Fit at feature scale so the RANSAC threshold means the same on any image size.
    template_scale = feature_scale(*template.image_size)
    src = template.keypoints[[m.trainIdx for m in good]] * template_scale
    dst = query_points[[m.queryIdx for m in good]]
    homography, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, RANSAC_THRESHOLD_PX, maxIters=5000)
    if homography is None or mask is None:
        return None, "no homography"
    inlier_mask = mask.ravel().astype(bool)
    inliers = int(inlier_mask.sum())
    ratio = inliers / len(good)
    errors = np.linalg.norm(project(homography, src[inlier_mask]) - dst[inlier_mask], axis=1)
    error = float(np.median(errors)) if inliers else float("inf")
    # Back to full-resolution pixels: template -> feature scale -> H -> query full scale.
    full = np.diag([1 / scale, 1 / scale, 1.0]) @ homography @ np.diag([template_scale, template_scale, 1.0])
    full /= full[2, 2]
    if inliers < limits.min_inliers:
        return None, f"{inliers} inliers"
    if ratio < limits.min_inlier_ratio:
        return None, f"inlier ratio {ratio:.2f}"
    if error > limits.max_reprojection_px:
        return None, f"reprojection error {error:.1f} px"
    query_size = (query.shape[1], query.shape[0])
    problem = sane_homography(full, template.image_size, query_size, limits)
    if problem:
        return None, problem
    confidence = fit_confidence(inliers, ratio, error)
    return Fit(full, inliers, ratio, error, confidence), "ok"


def normalize_anchor_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if ch.isalnum())


@dataclass(frozen=True)
class TextLine:
    text: str
    quad: np.ndarray  # (4, 2) float32


def align_anchors(
    reference: Sequence[TextLine],
    query: Sequence[TextLine],
    template_size: tuple[int, int],
    query_size: tuple[int, int],
    limits: GateLimits | None = None,
) -> tuple[Fit | None, int, str]:
    """Fit from lines whose text occurs exactly once in both reference and query.

    Returns (fit, matched line count, reason). Needs 2+ matched lines: the four corners of each
    give the correspondences; 3+ lines fit a homography, 2 lines a similarity transform.
    """
    limits = limits or GateLimits()

    def unique(lines: Sequence[TextLine]) -> dict[str, TextLine]:
        counts: dict[str, int] = {}
        for line in lines:
            key = normalize_anchor_text(line.text)
            counts[key] = counts.get(key, 0) + 1
        return {
            normalize_anchor_text(line.text): line
            for line in lines
            if len(normalize_anchor_text(line.text)) >= 2 and counts[normalize_anchor_text(line.text)] == 1
        }

    ref, qry = unique(reference), unique(query)
    shared = sorted(set(ref) & set(qry))
    if len(shared) < 2:
        return None, len(shared), f"{len(shared)} shared text lines"
    src = np.concatenate([ref[key].quad for key in shared]).astype(np.float32)
    dst = np.concatenate([qry[key].quad for key in shared]).astype(np.float32)
    line_height = float(np.median([np.linalg.norm(qry[key].quad[0] - qry[key].quad[3]) for key in shared]))
    threshold = max(3.0, 0.5 * line_height)
    if len(shared) >= 3:
        homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, threshold)
    else:
        affine, mask = cv2.estimateAffinePartial2D(src, dst, ransacReprojThreshold=threshold)
        homography = None if affine is None else np.vstack([affine, [0.0, 0.0, 1.0]])
    if homography is None or mask is None:
        return None, len(shared), "no transform from anchors"
    inlier_mask = mask.ravel().astype(bool)
    inliers = int(inlier_mask.sum())
    errors = np.linalg.norm(project(homography, src[inlier_mask]) - dst[inlier_mask], axis=1)
    error = float(np.median(errors)) if inliers else float("inf")
    problem = sane_homography(homography, template_size, query_size, limits)
    if problem:
        return None, len(shared), problem
    # Anchor corners come from detector boxes, so they are only good to a fraction of a line.
    confidence = float(min(1.0, len(shared) / 8.0) * (inliers / len(src)) * 0.8)
    return Fit(homography, inliers, inliers / len(src), error, confidence), len(shared), "ok"


def scaled_identity(template_size: tuple[int, int], query_size: tuple[int, int]) -> np.ndarray:
    (tw, th), (qw, qh) = template_size, query_size
    return np.diag([qw / tw, qh / th, 1.0])


def rotation_matrix(quarter_turns: int, size: tuple[int, int]) -> np.ndarray:
    """Maps pixels of an image rotated clockwise by `quarter_turns` x 90 degrees back to the
    original image of `size` (width, height) (the original is what was rotated)."""
    width, height = size
    turns = quarter_turns % 4
    if turns == 0:
        return np.eye(3)
    if turns == 1:  # rotated (x', y') = (h - 1 - y, x)  ->  x = y', y = h - 1 - x'
        return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, height - 1.0], [0.0, 0.0, 1.0]])
    if turns == 2:
        return np.array([[-1.0, 0.0, width - 1.0], [0.0, -1.0, height - 1.0], [0.0, 0.0, 1.0]])
    return np.array([[0.0, -1.0, width - 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def rotate_image(image: np.ndarray, quarter_turns: int) -> np.ndarray:
    codes = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
    turns = quarter_turns % 4
    return image if turns == 0 else cv2.rotate(image, codes[turns])

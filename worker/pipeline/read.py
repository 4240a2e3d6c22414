"""Reading regions of an aligned query (the strategy of docs/engine.md, from ENGINE-NOTES).

1. Each region is rectified into a context crop in template orientation, scaled so its text
   lines are about `TARGET_LINE_PX` high.
2. Lines are detected on each crop (shrunk to `DETECT_LINE_PX`, same-size crops batched); a
   line is kept when >= 50 % of its area lies inside the region and its centre is within the
   region's vertical span; kept boxes are made upright and stretched (`LINE_WIDEN`).
3. All kept lines of all regions are recognised whole, in one pass; characters whose CTC column
   centre falls outside the region are cut. Regions with no kept line get a direct read of the
   rectified region, kept only above `DIRECT_READ_MIN_CONFIDENCE`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from .engine import OcrEngine, RecognizedLine, crop_quad

# Ink height of a text line in the rectified crop that line images are cut from; detector boxes
# are ~1.4x taller (unclip), i.e. ~45 px, close to the recogniser's 48 px input.
TARGET_LINE_PX = 32.0
# Ink height the detector sees: detection cost grows with pixels, and DB finds lines of this
# height as reliably as larger ones, so crops are shrunk by DETECT_LINE_PX / TARGET_LINE_PX first.
DETECT_LINE_PX = 16.0
MAX_CROP_SIDE = 1280
# Detector inputs are padded to these steps, and crops share padded cells (see detector_cells)
# as long as each fills at least MIN_CELL_FILL of its cell.
DETECT_HEIGHT_STEP = 32
DETECT_WIDTH_STEP = 64
MIN_CELL_FILL = 0.25
MIN_INSIDE_FRACTION = 0.5
DIRECT_READ_MIN_CONFIDENCE = 0.75
SEPARATORS = " :：;；,，"
# Detected lines are stretched by this share of their height at both ends before recognition.
LINE_WIDEN = 0.6
# Characters this far (in line heights) outside the region still count as inside.
CLIP_TOLERANCE = 0.0


@dataclass
class RegionCrop:
    """A region rectified into crop pixels: crop = scale * (template - origin)."""

    name: str
    image: np.ndarray
    quad: np.ndarray  # region quad in crop pixels
    line_height: float  # in crop pixels


@dataclass
class LinePlan:
    region: int
    quad: np.ndarray  # detected line in crop pixels
    image: np.ndarray
    direct: bool = False


@dataclass
class RegionReading:
    text: str
    lines: list[str]
    confidence: float
    coverage: float


def _convex(quad: np.ndarray) -> np.ndarray:
    return cv2.convexHull(quad.astype(np.float32)).reshape(-1, 2)


def region_line_height(quad: np.ndarray, ink_height: float) -> float:
    """Line height used to scale a region (template pixels). A pixelated or stamped region can
    measure tiny "lines"; a line is at least a quarter of the region's height."""
    return max(ink_height, float(np.ptp(quad[:, 1])) / 4.0, 4.0)


def crop_scale(quad: np.ndarray, ink_height: float) -> float:
    """Crop pixels per template pixel for a region."""
    return TARGET_LINE_PX / region_line_height(quad, ink_height)


def rectify_regions(
    query: np.ndarray,
    homography: np.ndarray,
    names: tuple[str, ...],
    quads: np.ndarray,
    line_heights: np.ndarray,
) -> list[RegionCrop]:
    """Warp a context area around each template region out of the query, upright and scaled."""
    crops = []
    for name, quad, ink_height in zip(names, quads, line_heights, strict=True):
        line_height = region_line_height(quad, float(ink_height))
        margin_y = 0.75 * line_height
        margin_x = 1.5 * line_height
        margin = np.array([margin_x, margin_y])
        x0, y0 = quad.min(axis=0) - margin
        x1, y1 = quad.max(axis=0) + margin
        scale = min(crop_scale(quad, float(ink_height)), MAX_CROP_SIDE / max(x1 - x0, y1 - y0))
        width, height = max(int(np.ceil((x1 - x0) * scale)), 8), max(int(np.ceil((y1 - y0) * scale)), 8)
        template_to_crop = np.array([[scale, 0.0, -scale * x0], [0.0, scale, -scale * y0], [0.0, 0.0, 1.0]])
        crop_to_query = homography @ np.linalg.inv(template_to_crop)
        image = cv2.warpPerspective(
            query,
            crop_to_query,
            (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        crop_quad_points = (quad - (x0, y0)) * scale
        crops.append(RegionCrop(name, image, crop_quad_points.astype(np.float32), line_height * scale))
    return crops


def inside_fraction(line: np.ndarray, region: np.ndarray) -> float:
    area = cv2.contourArea(line.astype(np.float32))
    if area <= 0:
        return 0.0
    overlap, _ = cv2.intersectConvexConvex(_convex(line), _convex(region))
    return float(overlap) / area


def select_lines(crop: RegionCrop, detected: list[np.ndarray]) -> list[np.ndarray]:
    """Detected lines mostly inside the region and centred within its vertical span."""
    top, bottom = crop.quad[:, 1].min(), crop.quad[:, 1].max()
    kept = []
    for line in detected:
        centre_y = float(line[:, 1].mean())
        if not top <= centre_y <= bottom:
            continue
        if inside_fraction(line, crop.quad) >= MIN_INSIDE_FRACTION:
            kept.append(line)
    return kept


def _upright(quad: np.ndarray) -> np.ndarray:
    (x0, y0), (x1, y1) = quad.min(axis=0), quad.max(axis=0)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def widen_line(line: np.ndarray, others: list[np.ndarray], crop_width: int) -> np.ndarray:
    """Stretch a detected line along its direction by `LINE_WIDEN` of its height on both sides.

    The detector's box starts at the first solid glyph and misses small leading or trailing
    marks (`*`, `.`); characters that end up outside the region are clipped afterwards anyway.
    The stretch stops halfway to another kept line on the same row so no glyph is read twice.
    """
    left_mid, right_mid = (line[0] + line[3]) / 2.0, (line[1] + line[2]) / 2.0
    length = float(np.linalg.norm(right_mid - left_mid))
    if length < 1.0:
        return line
    direction = (right_mid - left_mid) / length
    height = float(np.linalg.norm(line[3] - line[0]))
    grow_left = grow_right = LINE_WIDEN * height
    top, bottom = line[:, 1].min(), line[:, 1].max()
    start, end = line[:, 0].min(), line[:, 0].max()
    for other in others:
        overlap = min(bottom, other[:, 1].max()) - max(top, other[:, 1].min())
        if overlap < 0.5 * min(bottom - top, np.ptp(other[:, 1])):
            continue
        if other[:, 0].mean() > line[:, 0].mean():
            grow_right = min(grow_right, max(0.0, (other[:, 0].min() - end) / 2.0))
        else:
            grow_left = min(grow_left, max(0.0, (start - other[:, 0].max()) / 2.0))
    grow_left = min(grow_left, max(0.0, start))
    grow_right = min(grow_right, max(0.0, crop_width - 1 - end))
    wide = line.astype(np.float32).copy()
    wide[[0, 3]] -= direction * grow_left
    wide[[1, 2]] += direction * grow_right
    return wide


def plan_lines(crops: list[RegionCrop], detections: list[list[np.ndarray]]) -> list[LinePlan]:
    plans: list[LinePlan] = []
    for index, (crop, detected) in enumerate(zip(crops, detections, strict=True)):
        kept = select_lines(crop, detected)
        width = crop.image.shape[1]
        # The crop is in template orientation, where text runs horizontally: axis-aligned boxes
        # hold a line whose glyph sizes vary (DB tilts its box to fit "14" next to "天内") and
        # keep the CTC position -> x mapping linear.
        boxes = [_upright(line) for line in kept]
        for i, line in enumerate(boxes):
            wide = widen_line(line, [other for j, other in enumerate(boxes) if j != i], width)
            plans.append(LinePlan(index, wide, crop_quad(crop.image, wide)))
        if not kept:
            # Nothing survived (a stamp over the field, faint print): read the region itself.
            pad = 0.15 * crop.line_height
            x0, y0 = np.maximum(crop.quad.min(axis=0) - pad, 0)
            x1, y1 = crop.quad.max(axis=0) + pad
            box = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
            plans.append(LinePlan(index, box, crop_quad(crop.image, box), direct=True))
    return plans


def clip_line(
    line: RecognizedLine, quad: np.ndarray, region: np.ndarray, tolerance: float
) -> tuple[str, int]:
    """Keep the characters whose CTC centre lies inside the region, or within `tolerance` pixels
    of it (a CTC column is ~1/12 of a line height wide and a narrow glyph such as `*` fires at
    one of its edges); spaces only between kept ones."""
    left = (quad[0] + quad[3]) / 2.0
    right = (quad[1] + quad[2]) / 2.0
    # The hull: a hand-drawn quad may be concave or self-intersecting.
    contour = _convex(region).reshape(-1, 1, 2)
    keep = []
    for position in line.char_positions:
        x, y = left + position * (right - left)
        keep.append(cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= -tolerance)
    chars = []
    for i, ch in enumerate(line.text):
        if ch.isspace():
            before, after = any(keep[:i]), any(keep[i + 1 :])
            if keep[i] or (before and after):
                chars.append(ch)
        elif keep[i]:
            chars.append(ch)
    text = "".join(chars).strip()
    return text, sum(1 for ch in text if not ch.isspace())


def _join(left: str, right: str, same_row: bool) -> str:
    """Latin text keeps a space between pieces on one row and between words wrapped over rows;
    CJK text joins without one."""
    if not left:
        return right
    a, b = left[-1], right[0]
    latin = a.isascii() and b.isascii()
    return f"{left} {right}" if latin and (same_row or (a.isalnum() and b.isalnum())) else left + right


def reading_order(quads: list[np.ndarray]) -> list[tuple[int, bool]]:
    """Indexes in reading order (rows top to bottom, left to right) with 'same row as previous'."""
    if not quads:
        return []
    centres = np.array([q.mean(axis=0) for q in quads])
    heights = np.array([max(float(np.ptp(q[:, 1])), 1.0) for q in quads])
    tolerance = 0.5 * float(np.median(heights))
    order = sorted(range(len(quads)), key=lambda i: centres[i][1])
    rows: list[list[int]] = []
    for i in order:
        if rows and abs(centres[i][1] - np.mean([centres[j][1] for j in rows[-1]])) <= tolerance:
            rows[-1].append(i)
        else:
            rows.append([i])
    result = []
    for row in rows:
        for position, i in enumerate(sorted(row, key=lambda j: centres[j][0])):
            result.append((i, position > 0))
    return result


def coverage(quads: list[np.ndarray], region: np.ndarray, size: tuple[int, int]) -> float:
    """Fraction of the region's area covered by the kept lines."""
    width, height = size
    mask_region = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask_region, [np.round(region).astype(np.int32)], 1)
    mask_lines = np.zeros_like(mask_region)
    for quad in quads:
        cv2.fillPoly(mask_lines, [np.round(quad).astype(np.int32)], 1)
    region_area = int(mask_region.sum())
    return float((mask_region & mask_lines).sum()) / region_area if region_area else 0.0


def assemble(
    crops: list[RegionCrop], plans: list[LinePlan], recognized: list[RecognizedLine]
) -> list[RegionReading]:
    readings = []
    for index, crop in enumerate(crops):
        mine = [(plan, line) for plan, line in zip(plans, recognized, strict=True) if plan.region == index]
        if mine and mine[0][0].direct:
            plan, line = mine[0]
            text = line.text.strip(SEPARATORS)
            if line.confidence < DIRECT_READ_MIN_CONFIDENCE or not text:
                readings.append(RegionReading("", [], 0.0, 0.0))
            else:
                readings.append(RegionReading(text, [text], line.confidence, 1.0))
            continue
        pieces: list[tuple[str, int, float, np.ndarray]] = []
        for plan, line in mine:
            text, chars = clip_line(line, plan.quad, crop.quad, CLIP_TOLERANCE * crop.line_height)
            if text:
                pieces.append((text, chars, line.confidence, plan.quad))
        ordered = reading_order([piece[3] for piece in pieces])
        value = ""
        for i, same_row in ordered:
            value = _join(value, pieces[i][0], same_row)
        value = value.strip(SEPARATORS)
        total_chars = sum(piece[1] for piece in pieces)
        confidence = sum(piece[1] * piece[2] for piece in pieces) / total_chars if total_chars else 0.0
        size = (crop.image.shape[1], crop.image.shape[0])
        covered = coverage([piece[3] for piece in pieces], crop.quad, size) if pieces else 0.0
        readings.append(RegionReading(value, [pieces[i][0] for i, _ in ordered], confidence, covered))
    return readings


def detector_cells(sizes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A padded (height, width) per crop such that crops share as few shapes as possible.

    Every detector call costs ~10 ms on top of its pixels, and every new input shape makes oneDNN
    compile kernels (about the run time again), so crops are grouped into shared cells: largest
    first, each joins the group whose grown cell stays smallest while every member still fills at
    least `MIN_CELL_FILL` of it (more padding dilutes what the detector's pooling layers see),
    otherwise it opens a new group. Cells are rounded up to 32x64 px steps.
    """

    def cell(height: int, width: int) -> tuple[int, int]:
        step_h, step_w = DETECT_HEIGHT_STEP, DETECT_WIDTH_STEP
        return -(-height // step_h) * step_h, -(-width // step_w) * step_w

    def area(size: tuple[int, int]) -> int:
        return size[0] * size[1]

    groups: list[tuple[tuple[int, int], list[int]]] = []
    for index in sorted(range(len(sizes)), key=lambda i: -area(sizes[i])):
        height, width = sizes[index]
        best: tuple[int, tuple[int, int]] | None = None
        for number, ((cell_h, cell_w), members) in enumerate(groups):
            grown = cell(max(cell_h, height), max(cell_w, width))
            fits = min(area(sizes[i]) for i in [*members, index]) >= MIN_CELL_FILL * area(grown)
            if fits and (best is None or area(grown) < area(best[1])):
                best = (number, grown)
        if best is None:
            groups.append((cell(height, width), [index]))
        else:
            number, grown = best
            groups[number] = (grown, [*groups[number][1], index])
    cells: list[tuple[int, int]] = [(0, 0)] * len(sizes)
    for shape, members in groups:
        for index in members:
            cells[index] = shape
    return cells


def _pad_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Pad bottom/right with the image's median border colour."""
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    colour = [int(v) for v in np.median(border, axis=0)]
    return cv2.copyMakeBorder(
        image, 0, height - image.shape[0], 0, width - image.shape[1], cv2.BORDER_CONSTANT, value=colour
    )


def detect_crops(engine: OcrEngine, crop_sets: list[list[RegionCrop]]) -> list[list[np.ndarray]]:
    """Text-line quads per crop (all sets' crops in order), in crop pixels.

    Each crop is its own detector input. Pasting all crops on one canvas (one run) was tried and
    lost text: the detector's squeeze-excitation blocks pool over the whole input, and a canvas of
    many crops and gaps weakened small lines until they vanished (e.g. a lone "赵*"). Cells are
    chosen per set (one query's crops): the padding moves the detector's boxes a little, so a query
    reads the same whatever is batched with it; same-shape inputs of all sets still share a batch
    (queries of one template have identical cells).
    """
    shrink = DETECT_LINE_PX / TARGET_LINE_PX
    small: list[np.ndarray] = []
    padded: list[np.ndarray] = []
    for crop_set in crop_sets:
        images = [
            cv2.resize(c.image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA) for c in crop_set
        ]
        cells = detector_cells([image.shape[:2] for image in images])
        small += images
        padded += [_pad_to(image, *cell) for image, cell in zip(images, cells, strict=True)]
    # Same-shape inputs run as one batch (OcrEngine.detect).
    found = engine.detect(padded, limit_side=4 * MAX_CROP_SIDE)
    detections = []
    for image, quads in zip(small, found, strict=True):
        limit = (image.shape[1] - 1, image.shape[0] - 1)
        detections.append([np.clip(quad, 0, limit) / shrink for quad in quads])
    return detections


def read_regions(
    engine: OcrEngine, crop_sets: list[list[RegionCrop]]
) -> tuple[list[list[RegionReading]], dict[str, float]]:
    """Read the region crops of one or more queries: detection runs on the crops of all of them at
    once, recognition on every kept line of every region of all of them in one pass (batching across
    jobs is what fills a GPU). Readings come back per query, in order; the timings are the batch's."""
    started = time.perf_counter()
    crops = [crop for crop_set in crop_sets for crop in crop_set]
    detections = detect_crops(engine, crop_sets)
    detected = time.perf_counter()
    plans = plan_lines(crops, detections)
    readings = assemble(crops, plans, engine.recognize([plan.image for plan in plans]))
    finished = time.perf_counter()
    timings = {"detect_ms": (detected - started) * 1000, "recognize_ms": (finished - detected) * 1000}
    per_query = []
    for crop_set in crop_sets:
        per_query.append(readings[: len(crop_set)])
        readings = readings[len(crop_set) :]
    return per_query, timings

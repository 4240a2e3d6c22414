"""The one entry point: `compile_template` on add, `TemplateReader.read` per query."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from common.lru import LruCache

from .align import (
    Fit,
    TextLine,
    align_anchors,
    align_features,
    project,
    rotate_image,
    rotation_matrix,
    scaled_identity,
)
from .compile import CompiledTemplate, load_compiled
from .config import EngineConfig
from .engine import OcrEngine, crop_quad
from .read import RegionCrop, RegionReading, crop_scale, read_regions, rectify_regions
from .schemas import AlignmentInfo, FieldResult, ReadError, ReadResult, TemplateData

IDENTITY_CONFIDENCE = 0.15
# A query whose aspect ratio differs more than this from the template's is not the same page
# photographed straight, so a scaled identity would be a guess.
IDENTITY_MAX_ASPECT_CHANGE = 0.2
# Coverage at which a field counts as fully covered (values are often shorter than their box).
FULL_COVERAGE = 0.25
# The query is shrunk (area interpolation) before rectifying when it has more than this many
# pixels per crop pixel, so that warping does not alias.
MAX_WARP_DOWNSAMPLE = 1.5
ORIENTATION_SAMPLE_LINES = 12


def field_score(recognition: float, alignment: float, covered: float) -> float:
    """Field score 0-100.

    score = 100 * R * (0.5 + 0.5 * A) * (0.5 + 0.5 * C)

    R: recognition confidence of the kept characters (mean CTC probability per line, weighted by
       the number of characters kept from that line); A: alignment confidence 0-1 (see
       `AlignmentInfo`); C: region coverage, min(1, covered / 0.25) where `covered` is the share of
       the region's area under kept text lines (a direct read of the whole region counts as 1).
    An empty value scores 0. A perfect read with a failed-but-plausible identity alignment
    (A = 0.15) scores at most 57.5; a clean read with a good homography scores ~100.
    """
    coverage_term = min(1.0, covered / FULL_COVERAGE)
    return round(100.0 * recognition * (0.5 + 0.5 * alignment) * (0.5 + 0.5 * coverage_term), 1)


@dataclass
class _TemplateState:
    compiled: CompiledTemplate
    reference_lines: list[TextLine] | None = None


@dataclass
class _Alignment:
    info: AlignmentInfo
    homography: np.ndarray | None
    error: ReadError | None = None


@dataclass
class _Prepared:
    """A query aligned and rectified, waiting for the shared detection + recognition batch."""

    compiled: CompiledTemplate
    alignment: _Alignment
    crops: list[RegionCrop] | None  # None when nothing aligned
    align_ms: float


class TemplateReader:
    """Loads the models once; reads queries against templates. Not thread-safe (Paddle isn't)."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.engine = OcrEngine(config)
        self._templates: LruCache[tuple[str, str], _TemplateState] = LruCache(config.template_cache_size)

    def warmup(self) -> None:
        self.engine.warmup()

    def _state(self, template: TemplateData) -> _TemplateState:
        # Keyed by content too: a template id re-added with new regions must not hit stale data.
        key = (template.template_id, hashlib.blake2b(template.compiled, digest_size=16).hexdigest())
        state = self._templates.get(key)
        if state is None:
            state = _TemplateState(load_compiled(template.compiled))
            self._templates.put(key, state)
        return state

    def page_lines(self, image: np.ndarray) -> tuple[int, list[TextLine]]:
        """Full-page OCR with page orientation: (clockwise quarter turns applied, lines in the
        turned image). Used only by the fallbacks, never on the normal path."""
        turns = 0
        quads = self.engine.detect([image])[0]
        if not quads:
            return 0, []
        aspects = [np.linalg.norm(q[1] - q[0]) / max(np.linalg.norm(q[3] - q[0]), 1.0) for q in quads]
        if float(np.median(aspects)) < 1.0:
            # Most lines are taller than wide: the page lies on its side.
            turns = 1
            image = rotate_image(image, 1)
            quads = self.engine.detect([image])[0]
        crops = [crop_quad(image, q) for q in quads]
        longest = sorted(range(len(crops)), key=lambda i: -crops[i].shape[1])[:ORIENTATION_SAMPLE_LINES]
        votes = self.engine.classify_orientation([crops[i] for i in longest])
        upside_down = sum(conf for angle, conf in votes if angle == 180)
        upright = sum(conf for angle, conf in votes if angle == 0)
        if upside_down > upright:
            turns += 2
            height, width = image.shape[:2]
            # Same lines in the page turned 180 degrees: mirror the points, top-left corner first.
            quads = [
                np.roll(np.array([width - 1, height - 1]) - q, -2, axis=0).astype(np.float32) for q in quads
            ]
            crops = [cv2.rotate(crop, cv2.ROTATE_180) for crop in crops]
        lines = self.engine.recognize(crops)
        return turns % 4, [TextLine(line.text, quad) for line, quad in zip(lines, quads, strict=True)]

    def _reference_lines(self, template: TemplateData, state: _TemplateState) -> list[TextLine]:
        if state.reference_lines is None:
            reference = as_bgr(template.image)
            quads = self.engine.detect([reference])[0]
            lines = self.engine.recognize([crop_quad(reference, q) for q in quads])
            state.reference_lines = [TextLine(line.text, q) for line, q in zip(lines, quads, strict=True)]
        return state.reference_lines

    def _align(self, query: np.ndarray, template: TemplateData, state: _TemplateState) -> _Alignment:
        compiled = state.compiled
        query_size = (query.shape[1], query.shape[0])
        tried = ["sift"]
        fit, reason = align_features(compiled, query)
        if fit is not None:
            return _Alignment(self._info("sift", fit, tried), fit.homography)
        tried[-1] = f"sift: {reason}"

        turns, query_lines = self.page_lines(query)
        if not query_lines:
            return _Alignment(
                AlignmentInfo(method="none", confidence=0.0, tried=[*tried, "anchors: no text in query"]),
                None,
                ReadError(code="no_text", message="no text was found in the query image"),
            )
        turned_size = query_size if turns % 2 == 0 else (query_size[1], query_size[0])
        back = rotation_matrix(turns, query_size)
        reference = self._reference_lines(template, state)
        anchor_fit, shared, reason = align_anchors(reference, query_lines, compiled.image_size, turned_size)
        tried.append("anchors" if anchor_fit else f"anchors: {reason}")
        if anchor_fit is not None:
            anchor_fit.homography = back @ anchor_fit.homography
            return _Alignment(self._info("anchors", anchor_fit, tried, turns), anchor_fit.homography)

        template_aspect = compiled.image_size[0] / compiled.image_size[1]
        query_aspect = turned_size[0] / turned_size[1]
        if shared >= 1 and abs(query_aspect / template_aspect - 1.0) <= IDENTITY_MAX_ASPECT_CHANGE:
            homography = back @ scaled_identity(compiled.image_size, turned_size)
            info = AlignmentInfo(
                method="identity",
                confidence=IDENTITY_CONFIDENCE,
                rotation=90 * turns,
                homography=homography.tolist(),
                tried=[*tried, "identity"],
            )
            return _Alignment(info, homography)
        tried.append("identity: query shares no text or aspect ratio with the template")
        return _Alignment(
            AlignmentInfo(method="none", confidence=0.0, rotation=90 * turns, tried=tried),
            None,
            ReadError(
                code="alignment_failed",
                message="the query could not be aligned to the template (no matching features, "
                "too few shared text lines); check that it shows the same kind of document",
            ),
        )

    @staticmethod
    def _info(method: str, fit: Fit, tried: list[str], turns: int = 0) -> AlignmentInfo:
        return AlignmentInfo(
            method=method,  # type: ignore[arg-type]
            confidence=round(fit.confidence, 3),
            inliers=fit.inliers,
            inlier_ratio=round(fit.inlier_ratio, 3),
            reprojection_error=round(fit.reprojection_error, 2),
            rotation=90 * turns,
            homography=fit.homography.tolist(),
            tried=tried,
        )

    def read(self, query: np.ndarray, template: TemplateData) -> ReadResult:
        return self.read_many([(query, template)])[0]

    def read_many(self, items: Sequence[tuple[np.ndarray, TemplateData]]) -> list[ReadResult]:
        """Read queries of any templates together, results in input order.

        Each query is aligned on its own; then the region crops of all of them share detector and
        recogniser batches (`read_regions`). Timings: `align_ms` is the query's own (alignment and
        rectifying its regions), `detect_ms` and `recognize_ms` are the shared batch's, `batch_size`
        the number of queries read together.
        """
        prepared = [self._prepare(as_bgr(query), template) for query, template in items]
        aligned = [p for p in prepared if p.crops is not None]
        readings, read_timings = read_regions(self.engine, [p.crops for p in aligned if p.crops is not None])
        by_query = dict(zip((id(p) for p in aligned), readings, strict=True))
        return [self._result(p, by_query.get(id(p)), read_timings, len(aligned)) for p in prepared]

    def _prepare(self, query: np.ndarray, template: TemplateData) -> _Prepared:
        """Align the query and rectify its regions (no crops when nothing aligned)."""
        started = time.perf_counter()
        state = self._state(template)
        compiled = state.compiled
        alignment = self._align(query, template, state)
        crops = None
        if alignment.homography is not None:
            homography = alignment.homography
            source = query
            density = self._query_pixels_per_crop_pixel(homography, compiled)
            if density > MAX_WARP_DOWNSAMPLE:
                shrink = MAX_WARP_DOWNSAMPLE / density
                size = (max(8, round(query.shape[1] * shrink)), max(8, round(query.shape[0] * shrink)))
                source = cv2.resize(query, size, interpolation=cv2.INTER_AREA)
                homography = np.diag([size[0] / query.shape[1], size[1] / query.shape[0], 1.0]) @ homography
            crops = rectify_regions(
                source, homography, compiled.region_names, compiled.region_quads, compiled.line_heights
            )
        return _Prepared(compiled, alignment, crops, (time.perf_counter() - started) * 1000)

    def _result(
        self,
        prepared: _Prepared,
        readings: list[RegionReading] | None,
        read_timings: dict[str, float],
        batch_size: int,
    ) -> ReadResult:
        compiled, alignment = prepared.compiled, prepared.alignment
        timings = {"align_ms": prepared.align_ms}
        if readings is None:
            fields = [
                FieldResult(key=name, value="", score=0.0, lines=[], box=[]) for name in compiled.region_names
            ]
            timings["total_ms"] = prepared.align_ms
            return ReadResult(fields=fields, alignment=alignment.info, error=alignment.error, timings=timings)
        timings.update(read_timings)
        timings["batch_size"] = batch_size
        timings["total_ms"] = prepared.align_ms + sum(read_timings.values())
        fields = [
            self._field(name, quad, reading, alignment)
            for name, quad, reading in zip(
                compiled.region_names, compiled.region_quads, readings, strict=True
            )
        ]
        error = alignment.error
        if error is None and not any(f.value for f in fields):
            error = ReadError(code="no_text", message="no text was found in any region")
        return ReadResult(fields=fields, alignment=alignment.info, error=error, timings=timings)

    @staticmethod
    def _field(name: str, quad: np.ndarray, reading: RegionReading, alignment: _Alignment) -> FieldResult:
        assert alignment.homography is not None
        box = [(round(float(x), 1), round(float(y), 1)) for x, y in project(alignment.homography, quad)]
        score = (
            field_score(reading.confidence, alignment.info.confidence, reading.coverage)
            if reading.text
            else 0.0
        )
        return FieldResult(key=name, value=reading.text, score=score, lines=reading.lines, box=box)

    @staticmethod
    def _query_pixels_per_crop_pixel(homography: np.ndarray, compiled: CompiledTemplate) -> float:
        """Median over regions of (query pixels per template pixel) / (crop pixels per template pixel)."""
        ratios = []
        for quad, ink_height in zip(compiled.region_quads, compiled.line_heights, strict=True):
            template_area = abs(cv2.contourArea(quad.astype(np.float32)))
            query_area = abs(cv2.contourArea(project(homography, quad).astype(np.float32)))
            if template_area <= 0:
                continue
            query_per_template = np.sqrt(query_area / template_area)
            ratios.append(query_per_template / crop_scale(quad, float(ink_height)))
        return float(np.median(ratios)) if ratios else 1.0


def as_bgr(image: np.ndarray) -> np.ndarray:
    """3-channel BGR view of a grey or BGRA array (decode_image already returns BGR)."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def draw_overlay(query: np.ndarray, result: ReadResult) -> bytes:
    """PNG of the query with each field's box and value label drawn (for debugging)."""
    canvas = query.copy()
    thickness = max(2, round(max(canvas.shape[:2]) / 600))
    for field in result.fields:
        if not field.box:
            continue
        points = np.round(np.array(field.box)).astype(np.int32)
        colour = (0, 180, 0) if field.score >= 60 else (0, 140, 255) if field.score > 0 else (0, 0, 255)
        cv2.polylines(canvas, [points], True, colour, thickness)
        # cv2 fonts have no CJK glyphs; label with the score, the key/value are in the JSON.
        cv2.putText(
            canvas,
            f"{field.score:.0f}",
            tuple(points[0]),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5 * thickness,
            colour,
            thickness,
        )
    ok, png = cv2.imencode(".png", canvas)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return png.tobytes()

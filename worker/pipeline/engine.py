"""PaddleOCR 3.x module predictors behind a small, batch-oriented API.

`OcrEngine` loads text detection, text recognition and the 0/180 text-line orientation classifier
once. Inputs are BGR uint8 arrays; quads are float32 arrays of shape (4, 2) in the input image's
pixels, clockwise from top-left.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np

from .config import EngineConfig, ModelSpec


class ModelsMissingError(RuntimeError):
    """A model folder named by the profile does not exist."""


REC_HEIGHT = 48
REC_MIN_WIDTH = 320  # the recogniser pads shorter lines to this anyway
REC_WIDTH_STEP = 64
# A character is emitted at the first CTC column of its run; its centre lies this many columns
# further right on average (measured on rendered lines with known glyph boxes: +0.5 left the
# estimate 1.6 px left of the true centre for 36 px glyphs, +0.8 1.4 px right; +0.65 centres it).
CTC_CENTRE_OFFSET = 0.65


@dataclass(frozen=True)
class RecognizedLine:
    """One recognised text line.

    `char_positions[i]` is the horizontal centre of `text[i]` as a fraction (0..1) of the line
    image's width, from the CTC column that emitted it.
    """

    text: str
    confidence: float
    char_positions: tuple[float, ...]


def _check_dir(spec: ModelSpec) -> None:
    if not (spec.path / "inference.yml").is_file():
        raise ModelsMissingError(
            f"model folder {spec.path} (for {spec.model_name}) is missing or has no inference.yml; "
            "for development run: python models/fetch_dev.py"
        )


class OcrEngine:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        models = config.models()
        for spec in (models.detection, models.recognition, models.orientation):
            _check_dir(spec)
        # paddlex otherwise probes model hosting sites when creating predictors, which fails
        # offline. Imported here so that importing the pipeline (the gateway does) stays light.
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        from paddleocr import TextDetection, TextLineOrientationClassification, TextRecognition

        common = {
            "device": config.device,
            "cpu_threads": config.cpu_threads,
            "enable_mkldnn": config.enable_mkldnn,
            "mkldnn_cache_capacity": config.mkldnn_cache_capacity,
        }
        self._det = TextDetection(
            model_name=models.detection.model_name, model_dir=str(models.detection.path), **common
        )
        self._rec = TextRecognition(
            model_name=models.recognition.model_name, model_dir=str(models.recognition.path), **common
        )
        self._ori = TextLineOrientationClassification(
            model_name=models.orientation.model_name, model_dir=str(models.orientation.path), **common
        )
        self._ori_swap_channels = models.orientation.pixel_order == "bgr"

    def detect(self, images: list[np.ndarray], limit_side: int | None = None) -> list[list[np.ndarray]]:
        """Text-line quads per image. Images of identical shape run as one batch, others one by
        one (the detector stacks its inputs); each is shrunk so its longest side is at most
        `limit_side` (default: the config's page size) and never enlarged — callers scale crops
        themselves."""
        side = limit_side or self.config.page_det_side
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for index, image in enumerate(images):
            by_shape.setdefault(image.shape, []).append(index)
        quads: list[list[np.ndarray]] = [[] for _ in images]
        for indexes in by_shape.values():
            results = self._det.predict(
                [images[i] for i in indexes], batch_size=len(indexes), limit_side_len=side, limit_type="max"
            )
            for index, result in zip(indexes, results, strict=True):
                quads[index] = [np.asarray(poly, dtype=np.float32) for poly in result["dt_polys"]]
        return quads

    def recognize(self, line_images: list[np.ndarray]) -> list[RecognizedLine]:
        """Recognise line images, in input order.

        Each line is resized to the recogniser's 48 px height and padded on the right to its
        `padded_width`; lines of one padded width run in batches of at most `rec_batch_size`.
        Padded widths keep the set of input shapes small (oneDNN compiles kernels per input shape:
        with free widths every line paid that compile, about 2x its run time on CPU), and with one
        width per batch paddlex's CTC column correction (which pairs width ratios in sorted order
        with results in input order) is the identity.
        """
        if not line_images:
            return []
        resized = [_to_height(image) for image in line_images]
        widths = [image.shape[1] for image in resized]
        lines: list[RecognizedLine | None] = [None] * len(line_images)
        for batch, width in plan_batches(widths, self.config.rec_batch_size):
            results = self._rec.predict(
                [_pad_right(resized[i], width) for i in batch], batch_size=len(batch), return_word_box=True
            )
            for index, result in zip(batch, results, strict=True):
                lines[index] = _recognized(result, content_share=widths[index] / width)
        return [line for line in lines if line is not None]

    def classify_orientation(self, line_images: list[np.ndarray]) -> list[tuple[int, float]]:
        """(angle, confidence) per line image, angle 0 or 180."""
        if not line_images:
            return []
        images = [img[:, :, ::-1] if self._ori_swap_channels else img for img in line_images]
        results = self._ori.predict(images, batch_size=self.config.orientation_batch_size)
        return [
            (180 if "180" in str(result["label_names"][0]) else 0, float(result["scores"][0]))
            for result in results
        ]

    def warmup(self) -> None:
        """Run each model once so the first real request does not pay graph setup costs."""
        page = warmup_page()
        self.detect([page])
        line = np.ascontiguousarray(page[90:170, 10:500])
        self.recognize([line, line[:, :200]])
        self.classify_orientation([line])


def warmup_page() -> np.ndarray:
    """A small page with one line of text, for warming models up."""
    page = np.full((256, 512, 3), 255, dtype=np.uint8)
    cv2.putText(page, "WARMUP 2024", (20, 140), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 4)
    return page


def padded_width(width: int) -> int:
    """The recognition input width of a line `width` columns long at 48 px: 64-column steps up to
    640, 128 beyond, at least 320. A function of the line alone: the recogniser's output moves
    with the padding (27 short benchmark lines padded to 320, 448 and 640 px: confidence spread
    median 0.1, p90 2.5, max 12 points, and one line's text changed), so a line reads the same
    whatever it is batched with."""
    step = REC_WIDTH_STEP if width <= 2 * REC_MIN_WIDTH else 2 * REC_WIDTH_STEP
    return max(REC_MIN_WIDTH, -(-width // step) * step)


def plan_batches(widths: list[int], max_batch: int) -> list[tuple[list[int], int]]:
    """(line indexes, padded width) per recognition call: lines of one padded width, at most
    `max_batch` per call."""
    by_width: dict[int, list[int]] = {}
    for index, width in enumerate(widths):
        by_width.setdefault(padded_width(width), []).append(index)
    return [
        (indexes[start : start + max_batch], width)
        for width, indexes in sorted(by_width.items())
        for start in range(0, len(indexes), max_batch)
    ]


def _to_height(image: np.ndarray) -> np.ndarray:
    """The line at the recogniser's height, aspect ratio kept."""
    height, width = image.shape[:2]
    content = max(1, int(np.ceil(REC_HEIGHT * width / height)))
    return cv2.resize(image, (content, REC_HEIGHT), interpolation=cv2.INTER_LINEAR)


def _pad_right(line: np.ndarray, width: int) -> np.ndarray:
    """Pad with mid-grey, which normalises to 0: the padding the recogniser adds itself (and was
    trained with) for lines shorter than 320 px."""
    if line.shape[1] == width:
        return line
    padded = np.full((REC_HEIGHT, width, 3), 128, np.uint8)
    padded[:, : line.shape[1]] = line
    return padded


def _recognized(result: dict, content_share: float) -> RecognizedLine:
    text, (n_columns, _words, word_columns, _kinds) = result["rec_text"]
    columns = [column for word in word_columns for column in word]
    positions = tuple(
        min(1.0, (column + CTC_CENTRE_OFFSET) / n_columns / content_share) for column in columns
    )
    return RecognizedLine(text=text, confidence=float(result["rec_score"]), char_positions=positions)


def crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Perspective-crop a text-line quad to an upright rectangle (width along the line)."""
    quad = quad.astype(np.float32)
    width = int(np.ceil(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[3] - quad[2]))))
    height = int(np.ceil(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2]))))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(
        image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )

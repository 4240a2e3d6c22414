"""Pure parts of the pipeline, no OCR models: decoding, compile format, homography gate, line logic."""

from __future__ import annotations

import io
import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

from worker.pipeline import ImageRejected, Region, compile_template, decode_image, field_score
from worker.pipeline.align import GateLimits, rotation_matrix, sane_homography
from worker.pipeline.compile import load_compiled, measure_line_height
from worker.pipeline.engine import REC_MIN_WIDTH, RecognizedLine, padded_width, plan_batches
from worker.pipeline.read import (
    MIN_CELL_FILL,
    RegionCrop,
    clip_line,
    detector_cells,
    reading_order,
    select_lines,
)


def _page() -> np.ndarray:
    page = np.full((400, 600, 3), 255, np.uint8)
    rng = np.random.default_rng(3)
    for row in range(8):
        y = 40 + row * 45
        cv2.putText(
            page,
            f"LINE {row} VALUE {rng.integers(1e6)}",
            (20, y),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.9,
            (0, 0, 0),
            2,
        )
    return page


def test_decode_applies_exif_orientation() -> None:
    # A 200x100 landscape JPEG tagged "rotate 90 CW to display" (orientation 6) is portrait upright.
    pil = Image.new("RGB", (200, 100), (255, 255, 255))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    pil.save(buffer, format="JPEG", exif=exif.tobytes())
    image = decode_image(buffer.getvalue())
    assert image.shape == (200, 100, 3)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_image"),
        (b"not an image at all", "corrupt_image"),
        (b"\x89PNG\r\n\x1a\nbroken", "corrupt_image"),
    ],
)
def test_decode_rejects_bad_bytes_with_a_code(data: bytes, code: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        decode_image(data)
    assert caught.value.code == code


def test_compiled_template_is_npz_without_pickle() -> None:
    page = _page()
    regions = [Region(name="值", quad=((100, 60), (400, 60), (400, 100), (100, 100)))]
    data = compile_template(page, regions)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "keypoints.npy" in names and "descriptors.npy" in names
    # every array loads with pickling disabled
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        assert {key: npz[key].dtype.kind for key in npz.files}["region_names"] == "U"
    compiled = load_compiled(data)
    assert compiled.image_size == (600, 400)
    assert compiled.region_names == ("值",)
    assert len(compiled.keypoints) == len(compiled.descriptors) > 50
    np.testing.assert_allclose(compiled.region_quads[0], [[100, 60], [400, 60], [400, 100], [100, 100]])


def test_line_height_is_measured_from_ink() -> None:
    page = np.full((200, 400, 3), 255, np.uint8)
    cv2.putText(page, "HEIGHT 0123", (10, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    height = measure_line_height(gray, np.array([[0, 40], [400, 40], [400, 120], [0, 120]], np.float32))
    assert 18 <= height <= 30  # cap height of a 1.0-scale Hershey font, not the 80 px region


def test_gate_rejects_mirror_collapse_and_accepts_similarity() -> None:
    size = (600, 400)
    limits = GateLimits()
    assert sane_homography(np.diag([0.5, 0.5, 1.0]), size, (300, 200), limits) is None
    assert sane_homography(
        np.diag([-1.0, 1.0, 1.0]) @ np.array([[1, 0, -600], [0, 1, 0], [0, 0, 1.0]]), size, size, limits
    )
    assert sane_homography(np.diag([1e-3, 1e-3, 1.0]), size, size, limits)  # scale out of bounds
    assert sane_homography(np.array([[1, 0, 5000], [0, 1, 0], [0, 0, 1.0]]), size, size, limits)  # off image


def test_rotation_matrix_maps_turned_pixels_back() -> None:
    page = _page()
    height, width = page.shape[:2]
    point = np.array([123.0, 45.0])
    for turns, code in (
        (1, cv2.ROTATE_90_CLOCKWISE),
        (2, cv2.ROTATE_180),
        (3, cv2.ROTATE_90_COUNTERCLOCKWISE),
    ):
        turned = cv2.rotate(page, code)
        marker = np.zeros(page.shape[:2], np.uint8)
        marker[45, 123] = 255
        ty, tx = np.argwhere(cv2.rotate(marker, code) == 255)[0]
        back = rotation_matrix(turns, (width, height)) @ np.array([tx, ty, 1.0])
        np.testing.assert_allclose(back[:2], point, atol=1e-6)
        assert turned.shape[:2] == ((width, height) if turns % 2 else (height, width))


def _crop(quad: list[list[float]]) -> RegionCrop:
    return RegionCrop("k", np.zeros((200, 400, 3), np.uint8), np.array(quad, np.float32), 30.0)


def test_lines_need_half_their_area_and_their_centre_inside() -> None:
    crop = _crop([[100, 50], [300, 50], [300, 100], [100, 100]])
    inside = np.array([[110, 55], [290, 55], [290, 95], [110, 95]], np.float32)
    half_out = np.array([[20, 55], [180, 55], [180, 95], [20, 95]], np.float32)  # 80 of 160 px inside
    mostly_out = np.array([[0, 55], [150, 55], [150, 95], [0, 95]], np.float32)
    above = np.array([[110, 20], [290, 20], [290, 70], [110, 70]], np.float32)  # centre y 45 < 50
    kept = select_lines(crop, [inside, half_out, mostly_out, above])
    assert [k.tolist() for k in kept] == [inside.tolist(), half_out.tolist()]


def test_characters_outside_the_region_are_clipped() -> None:
    region = np.array([[100, 0], [300, 0], [300, 40], [100, 40]], np.float32)
    line_quad = np.array([[0, 5], [400, 5], [400, 35], [0, 35]], np.float32)
    # "号码：12 34" with character centres spread along the 400 px line
    text = "号码：12 34"
    positions = (0.05, 0.12, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
    line = RecognizedLine(text=text, confidence=0.9, char_positions=positions)
    clipped, count = clip_line(line, line_quad, region, tolerance=0.0)
    assert (clipped, count) == ("12 34", 4)


def test_reading_order_is_rows_then_columns() -> None:
    def box(x: float, y: float) -> np.ndarray:
        return np.array([[x, y], [x + 50, y], [x + 50, y + 20], [x, y + 20]], np.float32)

    order = reading_order([box(200, 52), box(10, 50), box(10, 100)])
    assert order == [(1, False), (0, True), (2, False)]


def test_similar_crops_share_one_detector_shape_and_tiny_ones_are_not_drowned() -> None:
    # (height, width) of crops at detector scale: four single-line fields, one very wide field and
    # one small field.
    sizes = [(55, 300), (50, 280), (60, 330), (52, 250), (60, 1600), (45, 60)]
    cells = detector_cells(sizes)
    assert all(h >= sh and w >= sw for (h, w), (sh, sw) in zip(cells, sizes, strict=True))
    assert all(h % 32 == 0 and w % 64 == 0 for h, w in cells)
    assert len({cells[i] for i in range(4)}) == 1  # one batched detector call for the four
    assert cells[4] != cells[0] and cells[5] != cells[0]
    for (h, w), (sh, sw) in zip(cells, sizes, strict=True):
        assert sh * sw >= MIN_CELL_FILL * h * w
    assert detector_cells([]) == []


def test_recognition_batches_hold_lines_of_one_padded_width() -> None:
    widths = [900, 120, 300, 2000, 180, 250, 330, 100, 310, 700]
    batches = plan_batches(widths, max_batch=4)
    assert sorted(i for batch, _ in batches for i in batch) == list(range(len(widths)))  # each once
    for batch, width in batches:
        assert 1 <= len(batch) <= 4
        assert {padded_width(widths[i]) for i in batch} == {width}
    # short lines are all padded to the recogniser's own minimum, whatever else is in the query
    assert {padded_width(w) for w in (100, 120, 180, 250, 300, 310)} == {REC_MIN_WIDTH}
    assert [padded_width(w) for w in (330, 640, 641, 700, 900, 2000)] == [384, 640, 768, 768, 1024, 2048]
    assert [len(batch) for batch, width in batches if width == REC_MIN_WIDTH] == [4, 2]
    assert plan_batches([], 4) == []


def test_score_formula() -> None:
    assert field_score(1.0, 1.0, 1.0) == 100.0
    assert field_score(1.0, 0.15, 1.0) == 57.5
    assert field_score(0.8, 1.0, 0.0) == 40.0

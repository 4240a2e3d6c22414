"""The synthetic document generator: deterministic, regions around values (not labels), true ground truth."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from bench.synth import (
    LAYOUTS,
    NO_PERTURBATION,
    apply_perturbation,
    fonts,
    query_document,
    template_document,
    write_dataset,
    write_samples,
)
from bench.synth.perturb import Perturbation, sample_perturbation
from bench.synth.values import amount_in_words

SEEDS = range(10)


def _intersects(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _box(quad: list[list[int]]) -> tuple[int, int, int, int]:
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


def test_fonts_are_the_simplified_chinese_noto_faces() -> None:
    for style in ("sans", "sans-bold", "serif", "serif-bold"):
        face = fonts.font(style, 20)  # type: ignore[arg-type]
        assert face.getname()[0].endswith("CJK SC")


def test_missing_fonts_fail_with_a_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fonts.font_file.cache_clear()
    monkeypatch.setattr(fonts.shutil, "which", lambda _name: None)
    monkeypatch.setattr(fonts, "_GLOB_ROOTS", (str(tmp_path),))
    try:
        with pytest.raises(fonts.FontsMissingError, match="fonts-noto-cjk"):
            fonts.font_file("serif")
    finally:
        fonts.font_file.cache_clear()


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_generation_is_deterministic_by_seed(layout: str) -> None:
    first, again = template_document(layout, 3), template_document(layout, 3)
    assert first.values == again.values
    assert np.array_equal(first.image, again.image)
    query, query_again = query_document(layout, 3, 1, "all"), query_document(layout, 3, 1, "all")
    assert query.perturbation == query_again.perturbation
    assert query.query.data == query_again.query.data
    assert template_document(layout, 4).values != first.values
    # a query is the same layout with other values
    assert query.document.values != first.values
    assert [r[0] for r in query.document.regions] == [r[0] for r in first.regions]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_regions_hold_values_and_exclude_labels(layout: str) -> None:
    for seed in SEEDS:
        doc = template_document(layout, seed)
        height, width = doc.image.shape[:2]
        assert max(height, width) <= 1600
        boxes = {name: _box(quad) for quad, name in doc.regions}
        assert len(boxes) == len(doc.regions) == len(doc.values)
        for name, (x0, y0, x1, y1) in boxes.items():
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, name
            vx0, vy0, vx1, vy1 = doc.value_boxes[name]
            assert x0 <= vx0 and y0 <= vy0 and vx1 <= x1 and vy1 <= y1, (name, doc.values[name])
            assert vy1 - vy0 >= 20, f"{name}={doc.values[name]!r} is only {vy1 - vy0} px tall"
            assert doc.values[name].strip() == doc.values[name] and doc.values[name]
            for label_of, label_box in doc.label_boxes.items():
                assert not _intersects(label_box, (x0, y0, x1, y1)), f"label of {label_of} inside {name}"
            for other, other_box in boxes.items():
                assert other == name or not _intersects(other_box, (x0, y0, x1, y1)), (name, other)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_regions_hold_nothing_but_their_value(layout: str) -> None:
    """Inside a region, everything outside the value's ink is the bare form (no labels, no per-document
    print such as codes or bank lines), and the bare form there has no dark print, only paper or patterns."""
    spec = LAYOUTS[layout]
    page = Image.new("RGB", spec.size, spec.paper)
    spec.draw_form(ImageDraw.Draw(page))
    form = np.asarray(page)[:, :, ::-1]
    for seed in range(3):
        doc = template_document(layout, seed)
        for quad, name in doc.regions:
            x0, y0, x1, y1 = _box(quad)
            outside_value = np.ones((y1 - y0, x1 - x0), bool)
            vx0, vy0, vx1, vy1 = doc.value_boxes[name]
            outside_value[max(0, vy0 - 3 - y0) : vy1 + 3 - y0, max(0, vx0 - 3 - x0) : vx1 + 3 - x0] = False
            difference = np.abs(doc.image[y0:y1, x0:x1].astype(int) - form[y0:y1, x0:x1]).max(axis=2)
            assert difference[outside_value].max() == 0, f"{layout}/{name}: print other than the value"
            dark = cv2.cvtColor(np.ascontiguousarray(form[y0:y1, x0:x1]), cv2.COLOR_BGR2GRAY) < 128
            assert dark.mean() < 0.001, f"{layout}/{name}: form print inside the region"


def _normalised(patch: np.ndarray) -> np.ndarray:
    patch = patch.astype(np.float64)
    return (patch - patch.mean()) / (patch.std() + 1e-6)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_perturbed_query_shows_ground_truth_where_the_homography_says(layout: str) -> None:
    """Warping a perturbed query back through its homography reproduces the value pixels of the page."""
    geometric = Perturbation(
        turn=90,
        rotation_deg=9.0,
        corner_shift=((0.03, 0.0), (-0.02, 0.04), (0.0, -0.03), (0.04, 0.01)),
        scale=1.3,
        background=True,
        border=0.1,
        lighting=0.0,
        blur_sigma=0.0,
        noise_sigma=0.0,
        jpeg_quality=None,
        seed=5,
    )
    sampled = [query_document(layout, 11, index, "all") for index in range(4)]
    cases = [(query_document(layout, 11, 0, "none").document, geometric, 0.93)]
    cases += [(s.document, s.perturbation, 0.5) for s in sampled]
    for document, perturbation, floor in cases:
        query = apply_perturbation(document.image, perturbation)
        height, width = document.image.shape[:2]
        back = cv2.warpPerspective(query.image, np.linalg.inv(query.homography), (width, height))
        page, restored = (cv2.cvtColor(im, cv2.COLOR_BGR2GRAY) for im in (document.image, back))
        for name, (x0, y0, x1, y1) in document.value_boxes.items():
            a, b = _normalised(page[y0:y1, x0:x1]), _normalised(restored[y0:y1, x0:x1])
            correlation = float((a * b).mean())
            assert correlation > floor, (name, perturbation, correlation)


def test_perturbations_cover_the_required_ranges() -> None:
    drawn = [sample_perturbation(np.random.default_rng(seed)) for seed in range(200)]
    assert {p.turn for p in drawn} == {0, 90, 180, 270}
    assert all(-15 <= p.rotation_deg <= 15 and 0.5 <= p.scale <= 2.0 for p in drawn)
    assert all(p.jpeg_quality is not None and 30 <= p.jpeg_quality <= 85 for p in drawn)
    for attribute in ("background", "lighting", "blur_sigma", "noise_sigma"):
        assert 0 < sum(bool(getattr(p, attribute)) for p in drawn) < len(drawn), attribute
    assert query_document("ticket", 0, 0, "none").perturbation == NO_PERTURBATION


def test_dataset_on_disk_matches_its_cases(tmp_path: Path) -> None:
    cases_path = write_dataset(tmp_path / "ds", per_layout=2, seed=4, perturb="all")
    cases = json.loads(cases_path.read_text(encoding="utf-8"))
    assert cases["version"] == 1 and cases["perturb"] == "all"
    assert len(cases["cases"]) == 2 * len(LAYOUTS)
    for case in cases["cases"]:
        template = cases["templates"][case["layout"]]
        regions = json.loads((cases_path.parent / template["regions"]).read_text(encoding="utf-8"))
        assert [name for _quad, name in regions] == list(case["expected"])
        assert all(len(quad) == 4 and all(len(p) == 2 for p in quad) for quad, _name in regions)
        query = cv2.imread(str(cases_path.parent / case["query"]))
        assert query is not None and case["query"].endswith(".jpg")
        index = int(case["id"].rsplit("-", 1)[1])
        regenerated = query_document(case["layout"], 4, index, "all")
        assert case["expected"] == regenerated.document.values
        assert np.allclose(case["homography"], regenerated.query.homography, atol=1e-5)
    template_image = cv2.imread(str(cases_path.parent / cases["templates"]["ticket"]["image"]))
    assert np.array_equal(template_image, template_document("ticket", 4).image)


def test_unperturbed_dataset_is_lossless_and_unmoved(tmp_path: Path) -> None:
    cases = json.loads(
        write_dataset(tmp_path, 1, seed=2, perturb="none", layouts=("invoice",)).read_text("utf-8")
    )
    (case,) = cases["cases"]
    assert case["query"].endswith(".png") and np.allclose(case["homography"], np.eye(3))
    assert np.array_equal(
        cv2.imread(str(tmp_path / case["query"])), query_document("invoice", 2, 0, "none").document.image
    )


def test_samples_are_small_complete_and_current(tmp_path: Path) -> None:
    written = write_samples(tmp_path)
    assert {p.suffix for p in written} == {".png", ".json", ".jpg"}
    assert all(p.stat().st_size < 300 * 1024 for p in written)
    # the shipped samples/ are this generator's output (JSON compared; image bytes depend on codec builds)
    shipped = Path(__file__).resolve().parents[1] / "samples"
    for path in written:
        assert (shipped / path.name).is_file(), path.name
        if path.suffix == ".json":
            assert (shipped / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1005.30", "壹仟零伍元叁角"),
        ("1200.00", "壹仟贰佰元整"),
        ("100.05", "壹佰元零伍分"),
        ("10500", "壹万零伍佰元整"),
        ("1095306.12", "壹佰零玖万伍仟叁佰零陆元壹角贰分"),
        ("0.50", "伍角"),
        ("0", "零元整"),
        ("20000000", "贰仟万元整"),
    ],
)
def test_amount_in_words(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words

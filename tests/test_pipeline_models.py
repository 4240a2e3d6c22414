"""The template pipeline with the real PP-OCRv4 models on real screens and rendered documents.

Needs the dev models: `python models/fetch_dev.py` (the Makefile runs it before the tests).
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.synth import query_document, template_document
from bench.synth.perturb import Perturbation, apply_perturbation
from common.schemas import parse_regions
from worker.pipeline import (
    ReadResult,
    Region,
    TemplateData,
    TemplateReader,
    compile_template,
    decode_image,
    draw_overlay,
)
from worker.pipeline.align import align_anchors
from worker.pipeline.config import REPO_ROOT

EVAL = REPO_ROOT.parent / "shared" / "eval" / "aws-healthcode"


def norm(text: str) -> str:
    """The benchmark's comparison: NFKC (full-width -> half-width), whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _eval_dir() -> Path:
    if not EVAL.is_dir():
        pytest.skip(f"{EVAL} (shared real screens) is not present")
    return EVAL


def _template(layout: str) -> TemplateData:
    folder = _eval_dir()
    regions_by_layout = json.loads((folder / "templates.json").read_text(encoding="utf-8"))
    image = decode_image((folder / f"{layout}-template.png").read_bytes())
    regions = parse_regions(regions_by_layout[layout])
    return TemplateData(layout, image, regions, compile_template(image, regions))


def _query(name: str) -> np.ndarray:
    return decode_image((_eval_dir() / name).read_bytes())


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def _values(result: ReadResult) -> dict[str, str]:
    return {field.key: field.value for field in result.fields}


JKB_READABLE = {
    "日期": "2022年06月06日",
    "时间": "16:31:56",
    "状态": "未见异常",
    "核酸": "阴性",
    "查询时间": "06-06 14:26",
    "失效时间": "06-06 24:00",
}


def _assert_jkb(result: ReadResult) -> None:
    values = _values(result)
    assert {key: norm(values[key]) for key in JKB_READABLE} == {k: norm(v) for k, v in JKB_READABLE.items()}
    scores = {field.key: field.score for field in result.fields}
    assert all(scores[key] >= 80 for key in JKB_READABLE), scores
    assert result.error is None


def test_jkb_screen_from_another_phone(reader: TemplateReader) -> None:
    result = reader.read(_query("jkb-test-input.png"), _template("jkb"))
    assert result.alignment.method == "sift"
    assert result.alignment.confidence > 0.9
    _assert_jkb(result)
    # JSON-safe for the process pool and the API
    assert json.loads(json.dumps(result.model_dump(mode="json")))["fields"][0]["key"] == "日期"
    box = np.array(next(f.box for f in result.fields if f.key == "日期"))
    assert box.shape == (4, 2) and 0 <= box[:, 0].min() < box[:, 0].max() <= 1080


@pytest.mark.parametrize("turn", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE])
def test_turned_jkb_query(reader: TemplateReader, turn: int) -> None:
    result = reader.read(cv2.rotate(_query("jkb-test-input.png"), turn), _template("jkb"))
    assert result.alignment.method == "sift"
    _assert_jkb(result)


def test_xcm_camera_photo_update_time(reader: TemplateReader) -> None:
    result = reader.read(_query("xcm-test-input.jpeg"), _template("xcm"))
    values = _values(result)
    assert result.alignment.method == "sift"
    assert norm(values["更新时间"]) == norm("2022.06.09 15:17:08")
    expected = norm(
        "您于前14天内到达或途经：北京市*（注：*表示当前该城市存在中风险或高风险地区,并不表示用户实际到访过这些中高风险地区。）"
    )
    # the long multi-line region: at most 2 characters wrong (the small red `*` is the hard one)
    assert edit_distance(norm(values["途经地区"]), expected) <= 2, values["途经地区"]


def test_ssm_identical_query(reader: TemplateReader) -> None:
    result = reader.read(_query("ssm-template.png"), _template("ssm"))
    values = _values(result)
    assert result.alignment.method == "sift" and result.alignment.reprojection_error < 0.5
    assert {k: norm(values[k]) for k in ("查询时间", "状态", "天数")} == {
        "查询时间": "2022-06-0614:40:34",
        "状态": "绿色",
        "天数": "14",
    }


def test_anchor_fit_agrees_with_feature_fit(reader: TemplateReader) -> None:
    """The text-anchor fallback, fed the real OCR lines of a sideways query, finds the page turn
    and a homography that puts the regions where the SIFT fit puts them."""
    template = _template("jkb")
    query = cv2.rotate(_query("jkb-test-input.png"), cv2.ROTATE_90_COUNTERCLOCKWISE)
    turns, lines = reader.page_lines(query)
    assert turns == 1
    reference = reader.page_lines(template.image)[1]
    turned_size = (query.shape[0], query.shape[1])
    fit, shared, _ = align_anchors(
        reference, lines, (template.image.shape[1], template.image.shape[0]), turned_size
    )
    assert fit is not None and shared >= 5
    by_features = reader.read(cv2.rotate(query, cv2.ROTATE_90_CLOCKWISE), template)
    quads = np.array([r.quad for r in template.regions], np.float64).reshape(-1, 1, 2)
    from_anchors = cv2.perspectiveTransform(quads, fit.homography).reshape(-1, 2)
    from_features = np.array([f.box for f in by_features.fields]).reshape(-1, 2)
    line_height = 50  # px in the 2.08x query
    assert np.abs(from_anchors - from_features).max() < line_height


def test_read_falls_back_to_text_anchors(reader: TemplateReader) -> None:
    """A template compiled from a featureless image has no keypoints, so SIFT cannot align; the
    reader then aligns by the reference's OCR lines, on a query lying on its side."""
    template = _template("jkb")
    featureless = compile_template(np.full_like(template.image, 255), template.regions)
    no_features = TemplateData("jkb-anchors", template.image, template.regions, featureless)
    result = reader.read(
        cv2.rotate(_query("jkb-test-input.png"), cv2.ROTATE_90_COUNTERCLOCKWISE), no_features
    )
    assert result.alignment.method == "anchors"
    assert result.alignment.rotation == 90
    assert result.alignment.tried[0].startswith("sift: ")
    values = _values(result)
    read_right = [key for key, value in JKB_READABLE.items() if norm(values[key]) == norm(value)]
    assert len(read_right) >= 5, values
    assert 0.0 < result.alignment.confidence <= 0.8


def test_blank_query_answers_no_text(reader: TemplateReader) -> None:
    result = reader.read(np.full((900, 500, 3), 255, np.uint8), _template("jkb"))
    assert result.alignment.method == "none"
    assert result.error is not None and result.error.code == "no_text"
    assert [f.score for f in result.fields] == [0.0] * 9 and all(f.value == "" for f in result.fields)


def test_unrelated_query_answers_alignment_failed(reader: TemplateReader) -> None:
    page = np.full((700, 1000, 3), 250, np.uint8)
    for row, words in enumerate(["QUARTERLY REPORT", "Revenue 12,400", "Costs 8,100", "Margin 34%"]):
        cv2.putText(page, words, (60, 120 + 120 * row), cv2.FONT_HERSHEY_DUPLEX, 1.6, (30, 30, 30), 3)
    result = reader.read(page, _template("jkb"))
    assert result.alignment.method == "none"
    assert result.error is not None and result.error.code == "alignment_failed"
    assert all(f.score == 0.0 for f in result.fields)


def test_other_app_screen_is_not_aligned_to_jkb(reader: TemplateReader) -> None:
    result = reader.read(_query("xcm-test-input.jpeg"), _template("jkb"))
    assert result.alignment.method in ("none", "identity")
    assert all(f.score <= 60 for f in result.fields)


def _synthetic(layout: str) -> tuple[TemplateData, list[Region]]:
    document = template_document(layout, seed=11)
    regions = parse_regions(document.regions)
    return TemplateData(layout, document.image, regions, compile_template(document.image, regions)), regions


@pytest.mark.parametrize("layout", ["invoice", "ticket"])
def test_rendered_document_unperturbed(reader: TemplateReader, layout: str) -> None:
    template, _ = _synthetic(layout)
    sample = query_document(layout, seed=11, index=0, perturb="none")
    result = reader.read(decode_image(sample.query.data), template)
    values = _values(result)
    wrong = {k: (values[k], v) for k, v in sample.document.values.items() if norm(values[k]) != norm(v)}
    # one field in twenty may be misread by the model itself (e.g. 叁 read as 参)
    assert len(wrong) <= len(values) // 20, wrong


def test_rendered_photo_like_query(reader: TemplateReader) -> None:
    """Tilted, in perspective, half size, turned 90 degrees, on a desk, blurred, JPEG 50."""
    template, _ = _synthetic("ticket")
    document = query_document("ticket", seed=11, index=1, perturb="none").document
    perturbation = Perturbation(
        turn=90,
        rotation_deg=8.0,
        corner_shift=((0.03, 0.0), (-0.02, 0.03), (0.0, -0.02), (0.02, 0.01)),
        scale=0.7,
        background=True,
        border=0.08,
        lighting=0.25,
        blur_sigma=0.6,
        noise_sigma=3.0,
        jpeg_quality=50,
        seed=5,
    )
    query = apply_perturbation(document.image, perturbation)
    result = reader.read(decode_image(query.data), template)
    assert result.alignment.method == "sift"
    values = _values(result)
    wrong = {k: (values[k], v) for k, v in document.values.items() if norm(values[k]) != norm(v)}
    assert len(wrong) <= 1, wrong
    # the boxes land where the generator put the fields
    truth = cv2.perspectiveTransform(
        np.array([r.quad for r in template.regions], np.float64).reshape(-1, 1, 2), query.homography
    ).reshape(-1, 2)
    assert np.abs(np.array([f.box for f in result.fields]).reshape(-1, 2) - truth).max() < 6


def test_debug_overlay_is_a_png(reader: TemplateReader) -> None:
    query = _query("jkb-test-input.png")
    result = reader.read(query, _template("jkb"))
    png = draw_overlay(query, result)
    assert png.startswith(b"\x89PNG")
    assert cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).shape == query.shape


def test_grey_query_array_is_read(reader: TemplateReader) -> None:
    grey = cv2.cvtColor(_query("jkb-test-input.png"), cv2.COLOR_BGR2GRAY)
    _assert_jkb(reader.read(grey, _template("jkb")))


def test_queries_of_different_templates_read_together_match_reading_alone(reader: TemplateReader) -> None:
    """read_many shares detector and recogniser batches across queries (and templates); each query still
    gets exactly its own answer, and one that cannot be aligned does not disturb the others."""
    ticket, _ = _synthetic("ticket")
    app, _ = _synthetic("app")
    samples = [(ticket, query_document("ticket", seed=11, index=i, perturb="none")) for i in (0, 1)]
    samples.append((app, query_document("app", seed=11, index=0, perturb="none")))
    items = [(decode_image(sample.query.data), template) for template, sample in samples]
    blank = np.full((600, 400, 3), 255, np.uint8)
    together = reader.read_many([items[0], (blank, ticket), items[1], items[2]])
    assert [r.timings.get("batch_size") for r in together] == [3, None, 3, 3]
    assert together[1].error is not None and together[1].error.code == "no_text"
    for result, (query, template), (_, sample) in zip(
        [together[0], together[2], together[3]], items, samples, strict=True
    ):
        alone = reader.read(query, template)
        assert _values(result) == _values(alone)
        # same inputs to the models whatever is batched with them (batched kernels may round differently)
        assert all(abs(a.score - b.score) <= 0.5 for a, b in zip(result.fields, alone.fields, strict=True))
        wrong = {k: v for k, v in sample.document.values.items() if norm(_values(result)[k]) != norm(v)}
        assert len(wrong) <= 1, wrong

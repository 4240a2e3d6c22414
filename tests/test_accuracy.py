"""The accuracy harness: baseline line assignment, reading order, and one real end-to-end run.

Needs the dev models: `python models/fetch_dev.py` (the Makefile runs it before the tests).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from bench import accuracy
from bench.synth import template_document
from common.schemas import parse_regions
from worker.pipeline import EngineConfig, TemplateReader


def test_reading_order_groups_rows_then_sorts_left_to_right() -> None:
    boxes = [
        (300.0, 52.0, 30.0, "c"),
        (10.0, 50.0, 30.0, "b"),
        (20.0, 10.0, 30.0, "a"),
        (5.0, 95.0, 30.0, "d"),
    ]
    assert accuracy._reading_order(boxes) == ["a", "b", "c", "d"]
    assert accuracy._reading_order([]) == []


@pytest.mark.parametrize("baseline", accuracy.BASELINES)
def test_baselines_assign_lines_by_centre_in_the_scaled_region(reader: TemplateReader, baseline: str) -> None:
    """On the template itself, upscaled 1.5x, label-free fields come back whole from both baselines (the
    stock PaddleOCR pipeline and full-page OCR on the engine)."""
    doc = template_document("ticket", 0)
    regions = parse_regions(doc.regions)
    query = cv2.resize(doc.image, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)
    template_size = (doc.image.shape[1], doc.image.shape[0])
    if baseline == "paddleocr":
        values = accuracy.read_paddleocr(
            accuracy.paddleocr_pipeline(EngineConfig()), query, template_size, regions
        )
    else:
        values = accuracy.read_full_page(reader.engine, query, template_size, regions)
    assert set(values) == set(doc.values)
    for key in ("出发站", "到达站", "出发站拼音", "到达站拼音", "车次"):
        assert values[key].replace(" ", "") == doc.values[key].replace(" ", ""), key


def test_quick_run_writes_consistent_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    errors = tmp_path / "errors.jsonl"
    argv = ["--sets", "synthetic", "--per-layout", "1", "--layouts", "ticket", "app", "--repeats", "2"]
    argv += ["--out", str(out), "--per-field-errors", str(errors), "--data-dir", str(tmp_path / "data")]
    assert accuracy.main(argv) == 0
    report = json.loads((out / "accuracy.json").read_text(encoding="utf-8"))
    (summary,) = report["sets"].values()
    assert summary["images"] == 2
    assert summary["fields"] == 12 + 8
    assert {key: t["regions"] for key, t in summary["by_template"].items()} == {"ticket": 12, "app": 8}
    assert 0 < summary["template"]["p50_ms"] <= summary["template"]["p95_ms"]
    for baseline in accuracy.BASELINES:  # both baselines ran (in their own process) and were timed
        assert summary[baseline]["p50_ms"] > 0
        assert summary["time_ratio_p50"][baseline] == pytest.approx(
            summary["template"]["p50_ms"] / summary[baseline]["p50_ms"], abs=1e-3
        )
    # the template engine reads the clean documents; a wiring fault (wrong regions, wrong truth) would not
    assert summary["template"]["exact_match"] >= 0.9
    resources = report["resources"]
    assert resources["load_warmup_s"] > 0
    assert 100 < resources["rss_after_warmup_mb"] <= resources["peak_rss_mb"]
    table = (out / "accuracy.md").read_text(encoding="utf-8")
    assert "| synthetic | 2 | 20 |" in table and "| synthetic / app | 1 | 8 |" in table
    met = {t["target"]: t["met"] for t in report["targets"]}
    assert met["exact match, synthetic-perturbed"] is None  # that set did not run
    wrong = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert all(not all(r[f"{engine}_match"] for engine in accuracy.ENGINES) for r in wrong)
    # a second run reuses the generated set instead of regenerating it
    cases = tmp_path / "data" / "synthetic-s0" / "cases.json"
    stamp = cases.stat().st_mtime_ns
    assert accuracy.main([*argv, "--no-baseline"]) == 0
    assert cases.stat().st_mtime_ns == stamp
    summary = json.loads((out / "accuracy.json").read_text(encoding="utf-8"))["sets"]["synthetic"]
    assert "paddleocr" not in summary and summary["time_ratio_p50"] == {}

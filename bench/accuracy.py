"""Field accuracy and OCR time of the template engine next to full-page OCR baselines, per image set.

Sets:
- `synthetic`: bench.synth documents, queries unperturbed (same layout, other values);
- `synthetic-perturbed`: the same documents photographed (rotation, turns, perspective, scale, blur,
  JPEG, noise, uneven light, background), see bench/synth/perturb.py;
- `healthcode`: the real app screens in ../shared/eval/aws-healthcode/ (fields marked null skipped).

Engines, all on the same det/rec models:
- template: `TemplateReader.read` (align, then read only the regions);
- paddleocr: the naive baseline: the stock PaddleOCR 3.x pipeline (`paddleocr.PaddleOCR` with document
  orientation, unwarping and line orientation off, its defaults otherwise) on the whole query;
- fullpage: a stricter baseline: full-page OCR on the engine's own tuned `OcrEngine` (page shrunk to a
  longest side of 960 px for detection, recognition batched by width).
Both baselines give each region the lines whose centres fall inside it after scaling the region by the
query/template size ratio.

Time is per image, OCR only (decoding and template compilation excluded); the engines read each query one
right after the other, so all see the same load on a shared machine. The baselines run in a child process:
each process keeps its own oneDNN kernel cache (as a worker, which runs only the template engine, does),
and this process's peak RSS is the template engine's. Writes bench/results/accuracy.json and accuracy.md.

    python -m bench.accuracy --per-layout 3                 # quick run
    python -m bench.accuracy --per-layout 25 --per-field-errors bench/results/field-errors.jsonl
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np

from bench.metrics import char_errors, exact_match
from bench.runs import code_version, run_header
from common.schemas import Region, parse_regions
from worker.pipeline import EngineConfig, TemplateData, TemplateReader, compile_template, decode_image
from worker.pipeline.engine import OcrEngine, crop_quad, warmup_page

REPO = Path(__file__).resolve().parents[1]
HEALTHCODE = REPO.parent / "shared" / "eval" / "aws-healthcode"
RESULTS = REPO / "bench" / "results"
SETS = ("synthetic", "synthetic-perturbed", "healthcode")
BASELINES = ("paddleocr", "fullpage")
ENGINES = ("template", *BASELINES)
BASELINE_LABELS = {"paddleocr": "PaddleOCR", "fullpage": "full page"}
T = TypeVar("T")
SMALL_TEMPLATE_FIELDS = 10  # the time target is stated for templates of at most this many fields


@dataclass(frozen=True)
class Case:
    case_id: str
    template: str  # key into EvalSet.templates
    query: Path
    expected: dict[str, str]  # unscoreable (null) fields already dropped


@dataclass
class EvalSet:
    name: str
    templates: dict[str, TemplateData]
    cases: list[Case]


@dataclass
class EngineTally:
    """Per-engine sums for one set."""

    matches: int = 0
    fields: int = 0
    char_errors: int = 0
    chars: int = 0
    times_ms: list[float] = field(default_factory=list)

    def add(self, predicted: str, truth: str) -> tuple[bool, int]:
        match = exact_match(predicted, truth)
        errors, length = char_errors(predicted, truth)
        self.matches += match
        self.fields += 1
        self.char_errors += errors
        self.chars += length
        return match, errors

    def summary(self) -> dict[str, Any]:
        times = np.array(self.times_ms) if self.times_ms else np.zeros(1)
        return {
            "exact_match": round(self.matches / self.fields, 4) if self.fields else None,
            "cer": round(self.char_errors / self.chars, 4) if self.chars else None,
            "p50_ms": round(float(np.percentile(times, 50)), 1),
            "p95_ms": round(float(np.percentile(times, 95)), 1),
        }


def _template(template_id: str, image_path: Path, raw_regions: list[Any]) -> TemplateData:
    image = decode_image(image_path.read_bytes())
    regions = parse_regions(raw_regions)
    return TemplateData(template_id, image, regions, compile_template(image, regions))


def _synthetic_cases(data_dir: Path, perturb: str, per_layout: int, seed: int, layouts: list[str]) -> Path:
    """Generate the set in a child process (so its memory does not count towards this one's peak RSS),
    unless `data_dir` already holds it with the same parameters."""
    cases_path = data_dir / "cases.json"
    if cases_path.is_file():
        cases = json.loads(cases_path.read_text(encoding="utf-8"))
        same = (cases["perturb"], cases["per_layout"], cases["seed"]) == (perturb, per_layout, seed)
        if same and sorted(cases["templates"]) == sorted(layouts):
            return cases_path
    command = [sys.executable, "-m", "bench.synth", "dataset", "--out", str(data_dir), "--perturb", perturb]
    command += ["--per-layout", str(per_layout), "--seed", str(seed), "--layouts", *layouts]
    subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return cases_path


def load_synthetic(name: str, cases_path: Path) -> EvalSet:
    root = cases_path.parent
    data = json.loads(cases_path.read_text(encoding="utf-8"))
    templates = {
        layout: _template(
            f"synth-{layout}",
            root / spec["image"],
            json.loads((root / spec["regions"]).read_text(encoding="utf-8")),
        )
        for layout, spec in data["templates"].items()
    }
    cases = [Case(c["id"], c["layout"], root / c["query"], c["expected"]) for c in data["cases"]]
    return EvalSet(name, templates, cases)


def load_healthcode(root: Path = HEALTHCODE) -> EvalSet | None:
    if not root.is_dir():
        return None
    regions = json.loads((root / "templates.json").read_text(encoding="utf-8"))
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    templates: dict[str, TemplateData] = {}
    cases = []
    for case in expected["cases"]:
        layout = case["layout"]
        if layout not in templates:
            templates[layout] = _template(f"healthcode-{layout}", root / case["template"], regions[layout])
        scored = {key: value for key, value in case["expected"].items() if value is not None}
        cases.append(Case(f"{layout}:{case['query']}", layout, root / case["query"], scored))
    return EvalSet("healthcode", templates, cases)


def _reading_order(boxes: list[tuple[float, float, float, str]]) -> list[str]:
    """(centre x, centre y, height, text) -> texts in rows top to bottom, each row left to right."""
    rows: list[list[tuple[float, float, float, str]]] = []
    for box in sorted(boxes, key=lambda b: b[1]):
        if rows and abs(box[1] - rows[-1][-1][1]) < 0.5 * max(box[2], rows[-1][-1][2]):
            rows[-1].append(box)
        else:
            rows.append([box])
    return [b[3] for row in rows for b in sorted(row, key=lambda b: b[0])]


def assign_lines(
    quads: list[np.ndarray],
    texts: list[str],
    query_size: tuple[int, int],
    template_size: tuple[int, int],
    regions: list[Region],
) -> dict[str, str]:
    """Give each region the lines whose centres fall inside it after scaling the region by the
    query/template size ratio (sizes are (width, height))."""
    scale = np.array([query_size[0] / template_size[0], query_size[1] / template_size[1]], np.float32)
    values = {}
    for region in regions:
        polygon = (np.array(region.quad, np.float32) * scale).reshape(-1, 1, 2)
        inside = []
        for quad, text in zip(quads, texts, strict=True):
            centre_x, centre_y = (float(c) for c in np.asarray(quad, np.float32).mean(axis=0))
            if text and cv2.pointPolygonTest(polygon, (centre_x, centre_y), False) >= 0:
                inside.append((centre_x, centre_y, float(np.ptp(np.asarray(quad)[:, 1])), text))
        values[region.name] = " ".join(_reading_order(inside))
    return values


def read_full_page(
    engine: OcrEngine, query: np.ndarray, template_size: tuple[int, int], regions: list[Region]
) -> dict[str, str]:
    """The stricter baseline: full-page OCR with the engine's own tuned detector and recogniser."""
    quads = engine.detect([query])[0]
    lines = engine.recognize([crop_quad(query, quad) for quad in quads])
    query_size = (query.shape[1], query.shape[0])
    return assign_lines(quads, [line.text for line in lines], query_size, template_size, regions)


def paddleocr_pipeline(config: EngineConfig) -> Any:
    """The stock PaddleOCR pipeline on the profile's det/rec models, with the steps the template engine
    does not use either (document orientation and unwarping, line orientation) switched off."""
    os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
    from paddleocr import PaddleOCR

    models = config.models()
    return PaddleOCR(
        text_detection_model_name=models.detection.model_name,
        text_detection_model_dir=str(models.detection.path),
        text_recognition_model_name=models.recognition.model_name,
        text_recognition_model_dir=str(models.recognition.path),
        use_doc_orientation_classify=False,
        use_doc_unwarping=False,
        use_textline_orientation=False,
        device=config.device,
        cpu_threads=config.cpu_threads,
        enable_mkldnn=config.enable_mkldnn,
    )


def read_paddleocr(
    pipeline: Any, query: np.ndarray, template_size: tuple[int, int], regions: list[Region]
) -> dict[str, str]:
    """The naive baseline: the stock PaddleOCR pipeline on the whole query."""
    (page,) = pipeline.predict(query)
    query_size = (query.shape[1], query.shape[0])
    return assign_lines(list(page["rec_polys"]), list(page["rec_texts"]), query_size, template_size, regions)


BaselineReader = Callable[[np.ndarray, tuple[int, int], list[Region]], dict[str, str]]
_baseline_readers: dict[str, BaselineReader] = {}


def _start_baselines(config: EngineConfig) -> None:
    """Child process initializer: load and warm up both baselines."""
    engine = OcrEngine(config)
    engine.warmup()
    pipeline = paddleocr_pipeline(config)
    pipeline.predict(warmup_page())
    _baseline_readers["paddleocr"] = partial(read_paddleocr, pipeline)
    _baseline_readers["fullpage"] = partial(read_full_page, engine)


def _run_baselines(
    query_path: Path, template_size: tuple[int, int], regions: list[Region], repeats: int
) -> dict[str, tuple[dict[str, str], float]]:
    query = decode_image(query_path.read_bytes())
    return {
        name: _timed(repeats, partial(_baseline_readers[name], query, template_size, regions))
        for name in BASELINES
    }


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _engines_summary(tallies: dict[str, EngineTally]) -> dict[str, Any]:
    """Each engine's figures, and the template engine's p50 time as a share of each baseline's."""
    summary: dict[str, Any] = {engine: tally.summary() for engine, tally in tallies.items()}
    summary["time_ratio_p50"] = {
        name: round(summary["template"]["p50_ms"] / summary[name]["p50_ms"], 3)
        for name in BASELINES
        if name in tallies and tallies[name].times_ms
    }
    return summary


def _timed(repeats: int, run: Callable[[], T]) -> tuple[T, float]:
    """The first run's result and the median time in ms of `repeats` runs (repeats damp the noise of a
    shared machine; the first run's output is what gets scored)."""
    started = time.perf_counter()
    result = run()
    times = [(time.perf_counter() - started) * 1000]
    for _ in range(repeats - 1):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return result, float(np.median(times))


@dataclass
class CaseRun:
    """One engine's reading of one query."""

    values: dict[str, str]
    ms: float
    scores: dict[str, float] = field(default_factory=dict)
    alignment: str | None = None
    error: str | None = None
    stages_ms: dict[str, float] = field(default_factory=dict)


def _read_template(
    reader: TemplateReader, query: np.ndarray, template: TemplateData, repeats: int
) -> CaseRun:
    result, ms = _timed(repeats, partial(reader.read, query, template))
    return CaseRun(
        values={f.key: f.value for f in result.fields},
        ms=ms,
        scores={f.key: f.score for f in result.fields},
        alignment=result.alignment.method,
        error=result.error.code if result.error else None,
        stages_ms=result.timings,
    )


def run_set(
    reader: TemplateReader, eval_set: EvalSet, baselines: ProcessPoolExecutor | None, repeats: int
) -> dict[str, list[CaseRun]]:
    """The template engine here and the baselines in their process, query by query, one right after the
    other, so that all see the same load on a shared machine."""
    runs: dict[str, list[CaseRun]] = {
        engine: [] for engine in ENGINES if baselines is not None or engine == "template"
    }
    for case in eval_set.cases:
        template = eval_set.templates[case.template]
        query = decode_image(case.query.read_bytes())
        runs["template"].append(_read_template(reader, query, template, repeats))
        if baselines is not None:
            template_size = (template.image.shape[1], template.image.shape[0])
            read = baselines.submit(_run_baselines, case.query, template_size, template.regions, repeats)
            for name, (values, ms) in read.result().items():
                runs[name].append(CaseRun(values=values, ms=ms))
    return runs


def _load_set(name: str, cases_path: Path | None) -> EvalSet | None:
    return load_healthcode() if cases_path is None else load_synthetic(name, cases_path)


def score(eval_set: EvalSet, runs: dict[str, list[CaseRun]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-field records and the set summary, broken down per template too (the time target depends on
    the number of fields). `runs` holds "template" and, optionally, each baseline's runs, case by case."""
    engines = [engine for engine in ENGINES if engine in runs]
    overall = {engine: EngineTally() for engine in engines}
    per_template = {key: {engine: EngineTally() for engine in engines} for key in eval_set.templates}
    images: Counter[str] = Counter(case.template for case in eval_set.cases)
    records = []
    for index, case in enumerate(eval_set.cases):
        template_run = runs["template"][index]
        for engine in engines:
            overall[engine].times_ms.append(runs[engine][index].ms)
            per_template[case.template][engine].times_ms.append(runs[engine][index].ms)
        for key, truth in case.expected.items():
            record: dict[str, Any] = {
                "set": eval_set.name,
                "case": case.case_id,
                "field": key,
                "truth": truth,
                "template_score": template_run.scores.get(key, 0.0),
                "alignment": template_run.alignment,
            }
            for engine in engines:
                predicted = runs[engine][index].values.get(key, "")
                per_template[case.template][engine].add(predicted, truth)
                record[engine] = predicted
                record[f"{engine}_match"], record[f"{engine}_char_errors"] = overall[engine].add(
                    predicted, truth
                )
            records.append(record)
    stage_ms: dict[str, list[float]] = {}
    for run in runs["template"]:
        for stage, ms in run.stages_ms.items():
            if stage.endswith("_ms"):  # not batch_size
                stage_ms.setdefault(stage, []).append(ms)
    summary: dict[str, Any] = {
        "images": len(eval_set.cases),
        "fields": overall["template"].fields,
        "alignment_methods": dict(Counter(run.alignment for run in runs["template"])),
        "errors": dict(Counter(run.error for run in runs["template"] if run.error)),
        # the engine's own stage timings, for finding where its time goes
        "template_stages_p50_ms": {stage: round(float(np.median(ms)), 1) for stage, ms in stage_ms.items()},
        **_engines_summary(overall),
        "by_template": {
            key: {
                "images": images[key],
                "regions": len(eval_set.templates[key].regions),
                **_engines_summary(tallies),
            }
            for key, tallies in per_template.items()
            if images[key]
        },
    }
    return records, summary


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The CPU targets of the engine issue, checked against this run's figures (those it measured)."""
    sets = report["sets"]
    checks: list[tuple[str, float | None, str, float]] = []

    def em(set_name: str, engine: str) -> float | None:
        return sets.get(set_name, {}).get(engine, {}).get("exact_match")

    checks.append(("exact match, synthetic", em("synthetic", "template"), ">=", 0.99))
    checks.append(("exact match, synthetic-perturbed", em("synthetic-perturbed", "template"), ">=", 0.97))
    perturbed, perturbed_baseline = (
        em("synthetic-perturbed", "template"),
        em("synthetic-perturbed", "paddleocr"),
    )
    lead = (
        None if perturbed is None or perturbed_baseline is None else round(perturbed - perturbed_baseline, 4)
    )
    checks.append(("exact-match lead over PaddleOCR, synthetic-perturbed", lead, ">=", 0.20))
    for baseline in BASELINES:
        small = [
            t["time_ratio_p50"][baseline]
            for name in ("synthetic", "synthetic-perturbed")
            for t in sets.get(name, {}).get("by_template", {}).values()
            if t["regions"] <= SMALL_TEMPLATE_FIELDS and baseline in t["time_ratio_p50"]
        ]
        worst = max(small) if small else None
        label = f"worst p50 time ratio vs {BASELINE_LABELS[baseline]}, <= {SMALL_TEMPLATE_FIELDS} fields"
        checks.append((label, worst, "<=", 0.4))
    checks.append(("model load + warm-up (s)", report["resources"]["load_warmup_s"], "<=", 10.0))
    checks.append(("peak RSS, template engine (MB)", report["resources"]["peak_rss_mb"], "<=", 1536.0))
    return [
        {
            "target": name,
            "measured": value,
            "goal": f"{op} {goal}",
            "met": None if value is None else (value >= goal if op == ">=" else value <= goal),
        }
        for name, value, op, goal in checks
    ]


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _row(label: str, images: int, s: dict[str, Any], fields: str) -> str:
    """Each cell lists template / PaddleOCR / full page; "–" for an engine that did not run."""

    def each(metric: Callable[[dict[str, Any]], str]) -> str:
        return " / ".join(metric(s[engine]) if engine in s else "–" for engine in ENGINES)

    ratios = " / ".join(str(s["time_ratio_p50"].get(name, "–")) for name in BASELINES)
    return (
        f"| {label} | {images} | {fields} | {each(lambda e: _percent(e['exact_match']))} "
        f"| {each(lambda e: _percent(e['cer']))} | {each(lambda e: str(round(e['p50_ms'])))} "
        f"| {each(lambda e: str(round(e['p95_ms'])))} | {ratios} |"
    )


def markdown(report: dict[str, Any]) -> str:
    run = report["run"]
    header = [
        "| {} | images | {} | EM | CER | p50 ms | p95 ms | p50 ratio vs PaddleOCR / full page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines = [
        "# Accuracy and OCR time: template engine vs full-page OCR",
        "",
        f"Run {run['finished']} of `{run['code']}` on {run['machine']} ({run['cpus']} CPUs), "
        f"device `{run['device']}`, profile `{run['profile']}`, {run['cpu_threads']} CPU threads; "
        f"synthetic: {run['per_layout']} queries per layout, seed {run['seed']}, "
        f"layouts {', '.join(run['layouts'])}.",
        f"Command: `{run['command']}`",
        "",
        "Each cell: template engine / PaddleOCR pipeline (the naive baseline) / full page on the tuned "
        "engine (the stricter baseline).",
        "",
        header[0].format("set", "fields"),
        header[1],
        *(_row(name, s["images"], s, str(s["fields"])) for name, s in report["sets"].items()),
        "",
        "Per template (regions = fields per image):",
        "",
        header[0].format("set / template", "regions"),
        header[1],
        *(
            _row(f"{name} / {key}", t["images"], t, str(t["regions"]))
            for name, s in report["sets"].items()
            for key, t in s["by_template"].items()
        ),
        "",
        "| target | measured | goal | met |",
        "|---|---:|---:|---|",
        *(
            f"| {t['target']} | {'–' if t['measured'] is None else t['measured']} | {t['goal']} "
            f"| {'–' if t['met'] is None else 'yes' if t['met'] else 'NO'} |"
            for t in report["targets"]
        ),
    ]
    res = report["resources"]
    lines += [
        "",
        f"Template engine: model load + warm-up {res['load_warmup_s']:.2f} s, RSS after warm-up "
        f"{res['rss_after_warmup_mb']:.0f} MB, peak RSS {res['peak_rss_mb']:.0f} MB (the benchmark process "
        "runs only the template engine; the baselines run in a child process).",
        "",
        "EM: field exact match after NFKC and whitespace removal (NFKC folds full-width to half-width). "
        "CER: total edit distance / total truth characters. Time: OCR per image (decode and template "
        f"compile excluded), median of {run['timing_repeats']} run(s). PaddleOCR: `paddleocr.PaddleOCR` "
        "(same det/rec models; document orientation, unwarping and line orientation off; its own detector "
        "size limits and recognition batching). Full page: the engine's detector on the page shrunk to "
        f"{run['page_det_side']} px + its recognition batched by width. Both baselines assign a line "
        "to the region (scaled by the image-size ratio) holding its centre.",
        "",
        "Alignment methods per set: "
        + "; ".join(f"{name}: {s['alignment_methods']}" for name, s in report["sets"].items()),
        "",
        "Template engine stage medians (ms): "
        + "; ".join(f"{name}: {s['template_stages_p50_ms']}" for name, s in report["sets"].items()),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--per-layout", type=int, default=10, help="synthetic queries per layout")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--layouts", nargs="+", default=None, help="synthetic layouts (default: all)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep generated sets here and reuse them when the seed, size and layouts match (clear it "
        "after changing bench/synth)",
    )
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--profile", default=EngineConfig().profile)
    parser.add_argument("--model-root", type=Path, default=EngineConfig().model_root)
    parser.add_argument("--cpu-threads", type=int, default=EngineConfig().cpu_threads)
    parser.add_argument("--no-baseline", action="store_true", help="template engine only")
    parser.add_argument("--repeats", type=int, default=1, help="time each read this often, keep the median")
    parser.add_argument("--per-field-errors", type=Path, default=None, help="JSON lines of wrong fields")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    from bench.synth import LAYOUTS  # the generator runs in a child process; this only lists layouts

    layouts = args.layouts or list(LAYOUTS)
    config = EngineConfig(
        profile=args.profile, model_root=args.model_root, device=args.device, cpu_threads=args.cpu_threads
    )
    code = code_version()
    started = time.perf_counter()
    reader = TemplateReader(config)
    reader.warmup()
    load_warmup_s = time.perf_counter() - started
    rss_after_warmup = _rss_mb()
    print(f"models loaded and warmed up in {load_warmup_s:.2f} s, RSS {rss_after_warmup:.0f} MB")

    with contextlib.ExitStack() as stack:
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="customocr-bench-"))
        data_root = args.data_dir or Path(scratch)
        eval_sets: list[EvalSet] = []
        for set_name in args.sets:
            cases_path = None
            if set_name != "healthcode":
                perturb = "all" if set_name == "synthetic-perturbed" else "none"
                set_dir = data_root / f"{set_name}-s{args.seed}"
                cases_path = _synthetic_cases(set_dir, perturb, args.per_layout, args.seed, layouts)
            eval_set = _load_set(set_name, cases_path)
            if eval_set is None:
                print(f"skipping healthcode: {HEALTHCODE} is absent")
                continue
            eval_sets.append(eval_set)
        baselines = None
        if not args.no_baseline:
            # Spawned after this process's own load + warm-up was timed; an executor lets its worker
            # exit normally (Pool.terminate would SIGTERM it, which Paddle reports as a fatal error).
            baselines = stack.enter_context(
                ProcessPoolExecutor(
                    1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_baselines,
                    initargs=(config,),
                )
            )
            baselines.submit(int).result()  # the baselines are loaded and warmed up
        runs: dict[str, dict[str, list[CaseRun]]] = {}
        for eval_set in eval_sets:
            print(f"{eval_set.name}: {len(eval_set.cases)} images")
            runs[eval_set.name] = run_set(reader, eval_set, baselines, args.repeats)

    report_sets: dict[str, Any] = {}
    wrong: list[dict[str, Any]] = []
    for eval_set in eval_sets:
        records, report_sets[eval_set.name] = score(eval_set, runs[eval_set.name])
        wrong += [r for r in records if not all(r[f"{engine}_match"] for engine in ENGINES if engine in r)]

    report = {
        "run": {
            **run_header("bench.accuracy", argv, code),
            "device": args.device,
            "profile": args.profile,
            "cpu_threads": args.cpu_threads,
            "page_det_side": config.page_det_side,
            "per_layout": args.per_layout,
            "timing_repeats": args.repeats,
            "seed": args.seed,
            "layouts": layouts,
        },
        "resources": {
            "load_warmup_s": round(load_warmup_s, 2),
            "rss_after_warmup_mb": round(rss_after_warmup, 1),
            "peak_rss_mb": round(_peak_rss_mb(), 1),  # this process runs only the template engine
        },
        "sets": report_sets,
    }
    report["targets"] = targets(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "accuracy.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", "utf-8")
    table = markdown(report)
    (args.out / "accuracy.md").write_text(table, encoding="utf-8")
    print(table)
    if args.per_field_errors is not None:
        args.per_field_errors.parent.mkdir(parents=True, exist_ok=True)
        with args.per_field_errors.open("w", encoding="utf-8") as out:
            for record in wrong:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        worst = Counter((r["set"], r["field"]) for r in wrong if not r["template_match"])
        print(f"{len(wrong)} fields wrong for at least one engine, written to {args.per_field_errors}")
        for (set_name, key), count in worst.most_common(10):
            print(f"  template wrong {count}x: {set_name} / {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

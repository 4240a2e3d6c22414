"""Templates, queries and on-disk datasets built from the layouts, deterministic by seed."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from bench.synth.layouts import LAYOUTS
from bench.synth.perturb import (
    NO_PERTURBATION,
    Perturbation,
    PerturbedImage,
    apply_perturbation,
    sample_perturbation,
)
from bench.synth.render import RenderedDocument, make_document

PerturbMode = Literal["none", "all"]
CASES_VERSION = 1
# The shipped samples show a typical phone shot: tilted, slightly in perspective, on a desk, JPEG.
SAMPLE_PERTURBATION = Perturbation(
    turn=0,
    rotation_deg=-7.0,
    corner_shift=((0.02, 0.01), (-0.015, 0.025), (-0.01, -0.02), (0.025, -0.01)),
    scale=0.8,
    background=True,
    border=0.06,
    lighting=0.25,
    blur_sigma=0.6,
    noise_sigma=3.0,
    jpeg_quality=80,
    seed=7,
)
SAMPLE_LAYOUTS = ("invoice", "ticket")


@dataclass(frozen=True)
class SyntheticQuery:
    document: RenderedDocument  # the unperturbed page: its values are the ground truth
    perturbation: Perturbation
    query: PerturbedImage


def _rng(seed: int, layout: str, *path: int) -> np.random.Generator:
    # keyed by the layout's name, so adding a layout never changes another layout's documents
    return np.random.default_rng([seed, zlib.crc32(layout.encode()), *path])


def template_document(layout: str, seed: int) -> RenderedDocument:
    """The template (reference) page of `layout` for this seed, with its own random values."""
    return make_document(LAYOUTS[layout], _rng(seed, layout, 0))


def query_document(layout: str, seed: int, index: int, perturb: PerturbMode) -> SyntheticQuery:
    """Query `index` of `layout`: same layout as the template, other values, optionally distorted."""
    rng = _rng(seed, layout, 1, index)
    document = make_document(LAYOUTS[layout], rng)
    perturbation = sample_perturbation(rng) if perturb == "all" else NO_PERTURBATION
    return SyntheticQuery(document, perturbation, apply_perturbation(document.image, perturbation))


def _write_png(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"could not write {path}")


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_dataset(
    out: Path, per_layout: int, seed: int, perturb: PerturbMode, layouts: tuple[str, ...] = tuple(LAYOUTS)
) -> Path:
    """Write templates/, queries/ and cases.json under `out`; return the path of cases.json."""
    (out / "templates").mkdir(parents=True, exist_ok=True)
    (out / "queries").mkdir(parents=True, exist_ok=True)
    templates: dict[str, Any] = {}
    cases: list[dict[str, Any]] = []
    for layout in layouts:
        template = template_document(layout, seed)
        image_path, regions_path = f"templates/{layout}.png", f"templates/{layout}.regions.json"
        _write_png(out / image_path, template.image)
        _write_json(out / regions_path, template.regions)
        templates[layout] = {
            "image": image_path,
            "regions": regions_path,
            "values": template.values,
            "size": [template.image.shape[1], template.image.shape[0]],
        }
        for index in range(per_layout):
            sample = query_document(layout, seed, index, perturb)
            case_id = f"{layout}-{index:03d}"
            query_path = f"queries/{case_id}{sample.query.ext}"
            (out / query_path).write_bytes(sample.query.data)
            cases.append(
                {
                    "id": case_id,
                    "layout": layout,
                    "query": query_path,
                    "expected": sample.document.values,
                    "perturbation": sample.perturbation.as_dict(),
                    "homography": np.round(sample.query.homography, 6).tolist(),
                }
            )
    cases_path = out / "cases.json"
    _write_json(
        cases_path,
        {
            "version": CASES_VERSION,
            "seed": seed,
            "perturb": perturb,
            "per_layout": per_layout,
            "templates": templates,
            "cases": cases,
        },
    )
    return cases_path


def write_samples(out: Path, seed: int = 1, layouts: tuple[str, ...] = SAMPLE_LAYOUTS) -> list[Path]:
    """The small shipped sample set: per layout a template PNG, its regions, one photo-like query."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for layout in layouts:
        template = template_document(layout, seed)
        query = query_document(layout, seed, 0, "none").document
        photo = apply_perturbation(query.image, SAMPLE_PERTURBATION)
        paths = {
            "template": out / f"{layout}-template.png",
            "regions": out / f"{layout}-regions.json",
            "query": out / f"{layout}-query{photo.ext}",
            "expected": out / f"{layout}-query-expected.json",
        }
        _write_png(paths["template"], template.image)
        _write_json(paths["regions"], template.regions)
        paths["query"].write_bytes(photo.data)
        _write_json(paths["expected"], query.values)
        written.extend(paths.values())
    return written

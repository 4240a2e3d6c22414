"""Test documents from the project's own renderer (bench/synth) and the shared real screens."""

import base64
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cv2

from bench.synth.dataset import SAMPLE_PERTURBATION, query_document, template_document
from bench.synth.perturb import apply_perturbation

SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "aws-healthcode"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def png(image: Any) -> bytes:
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return encoded.tobytes()


@dataclass(frozen=True)
class Document:
    template: bytes
    regions: list[Any]
    query: bytes
    expected: dict[str, str]


@cache
def ticket(index: int = 1) -> Document:
    """A rendered train ticket as template, and another ticket photographed on a desk as query."""
    template = template_document("ticket", seed=11)
    query = query_document("ticket", seed=11, index=index, perturb="none").document
    shot = apply_perturbation(query.image, SAMPLE_PERTURBATION)
    return Document(png(template.image), template.regions, shot.data, query.values)


def shared_case(layout: str) -> tuple[bytes, list[Any], bytes, dict[str, str | None]]:
    """A real app screen from ../shared/eval: template bytes, upstream regions, query bytes, expected."""
    cases = json.loads((SHARED_EVAL / "expected.json").read_text())["cases"]
    case = next(c for c in cases if c["layout"] == layout)
    regions = json.loads((SHARED_EVAL / "templates.json").read_text())[layout]
    return (
        (SHARED_EVAL / case["template"]).read_bytes(),
        regions,
        (SHARED_EVAL / case["query"]).read_bytes(),
        case["expected"],
    )

"""The project's synthetic document generator: form layouts rendered with Noto CJK fonts, random values,
photo-like distortions, deterministic by seed. See `python -m bench.synth --help`."""

from bench.synth.dataset import (
    SyntheticQuery,
    query_document,
    template_document,
    write_dataset,
    write_samples,
)
from bench.synth.layouts import LAYOUTS
from bench.synth.perturb import NO_PERTURBATION, Perturbation, PerturbedImage, apply_perturbation
from bench.synth.render import Layout, RenderedDocument

__all__ = [
    "LAYOUTS",
    "NO_PERTURBATION",
    "Layout",
    "Perturbation",
    "PerturbedImage",
    "RenderedDocument",
    "SyntheticQuery",
    "apply_perturbation",
    "query_document",
    "template_document",
    "write_dataset",
    "write_samples",
]

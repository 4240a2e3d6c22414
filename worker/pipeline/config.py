"""Engine configuration: which models, where, on which device, with which batch sizes.

The lead's `common/settings.py` builds an `EngineConfig`; the pipeline never reads the environment.
Model choice is data: a profile name looked up in `models/profiles.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_ROOT = REPO_ROOT / "models" / "dev"
DEFAULT_PROFILES_FILE = REPO_ROOT / "models" / "profiles.json"


class ModelSpec(BaseModel):
    """One paddleocr module model: the name selects the predictor type, `path` holds the weights."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    model_name: str
    path: Path
    # Channel order the weights were trained on; paddlex hands its classifier RGB pixels.
    pixel_order: Literal["bgr", "rgb"] = "bgr"


class ModelSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    detection: ModelSpec
    recognition: ModelSpec
    orientation: ModelSpec


class EngineConfig(BaseModel):
    """Everything `OcrEngine`/`TemplateReader` need; JSON-able so it can cross a process pool."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    profile: str = "ppocrv4-mobile"
    model_root: Path = DEFAULT_MODEL_ROOT
    profiles_file: Path = DEFAULT_PROFILES_FILE
    device: Literal["cpu", "gpu"] = "cpu"
    # Threads per predictor; the worker runs one engine per process.
    cpu_threads: int = Field(default=2, ge=1)
    # oneDNN on CPU; it caches compiled kernels per input shape (see docs/engine.md).
    enable_mkldnn: bool = True
    # Input shapes whose kernels stay compiled (line batch widths x batch sizes, detector cells).
    # Memory grows with it: over the 100 benchmark images peak RSS was 1126 MB at 24, 1246 MB at
    # 32, 1514 MB at 64, with no measurable speed difference between 24 and 64.
    mkldnn_cache_capacity: int = Field(default=32, ge=1)
    # Most lines per recognition call (lines of one padded width, see engine.plan_batches). Default
    # by device: on CPU batches of 4 cut recognition time 15-25 % against 1 (more only adds kernel
    # shapes); on a GPU batches are what make it fast.
    rec_batch_size: int = Field(default_factory=lambda data: 4 if data["device"] == "cpu" else 32, ge=1)
    orientation_batch_size: int = Field(default=16, ge=1)
    # Longest side for full-page detection (alignment fallback, baseline).
    page_det_side: int = Field(default=960, ge=320)
    # Per-template derived data (reference OCR anchors) kept in memory.
    template_cache_size: int = Field(default=64, ge=1)

    def models(self) -> ModelSet:
        """Resolve the profile to model names and folders under `model_root`."""
        profiles = json.loads(self.profiles_file.read_text(encoding="utf-8"))
        if self.profile not in profiles or self.profile.startswith("_"):
            known = sorted(name for name in profiles if not name.startswith("_"))
            raise ValueError(f"unknown model profile {self.profile!r}; known: {known}")
        entries = profiles[self.profile]
        return ModelSet(
            **{
                role: ModelSpec(
                    model_name=entry["model_name"],
                    path=self.model_root / entry["dir"],
                    pixel_order=entry.get("pixel_order", "bgr"),
                )
                for role, entry in entries.items()
            }
        )

"""What goes into and comes out of the pipeline. `ReadResult.model_dump(mode="json")` is JSON-safe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, Field

# The one region model of the project (pure pydantic, shared with the gateway); re-exported here so
# pipeline callers need not know where it lives.
from common.schemas import Region as Region

Point = tuple[float, float]


class RegionLike(Protocol):
    """A named quadrilateral in template pixels (e.g. `common.schemas.Region`)."""

    @property
    def name(self) -> str: ...

    @property
    def quad(self) -> Sequence[Sequence[float]]: ...


@dataclass(frozen=True)
class TemplateData:
    """A stored template: reference image (BGR), its regions and `compile_template` output."""

    template_id: str
    image: np.ndarray
    regions: Sequence[RegionLike]
    compiled: bytes


AlignmentMethod = Literal["sift", "anchors", "identity", "none"]


class AlignmentInfo(BaseModel):
    method: AlignmentMethod
    confidence: float = Field(ge=0.0, le=1.0)
    inliers: int = 0
    inlier_ratio: float = 0.0
    reprojection_error: float | None = None
    # Clockwise quarter turns (0/90/180/270) found for the query page; only the anchor and identity
    # fallbacks need it, feature matching is rotation-invariant.
    rotation: int = 0
    # Template pixels -> query pixels; None when nothing aligned.
    homography: list[list[float]] | None = None
    tried: list[str] = Field(default_factory=list)


class FieldResult(BaseModel):
    key: str
    value: str
    score: float = Field(ge=0.0, le=100.0)
    lines: list[str]
    # The region's quad projected into query pixels (empty when nothing aligned).
    box: list[Point]


class ReadError(BaseModel):
    code: Literal["alignment_failed", "no_text"]
    message: str


class ReadResult(BaseModel):
    fields: list[FieldResult]
    alignment: AlignmentInfo
    error: ReadError | None = None
    # Milliseconds per stage.
    timings: dict[str, float]

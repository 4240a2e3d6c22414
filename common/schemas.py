"""Pydantic models of what crosses a boundary: API bodies, stored records, queue messages, events."""

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter, field_validator, model_validator

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Region(BaseModel):
    """A named quadrilateral on the template, in template pixels."""

    name: str
    quad: Quad

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("region name must be a non-empty string")
        return name

    @field_validator("quad")
    @classmethod
    def _finite_points(cls, quad: Quad) -> Quad:
        if not all(math.isfinite(v) for point in quad for v in point):
            raise ValueError("region points must be finite numbers")
        return quad


def _regions_from_api(value: Any) -> Any:
    """Accept the CustomOCR wire form ``[[[[x,y]×4], "name"], …]`` as well as ``{"name","quad"}`` objects."""
    if not isinstance(value, list):
        return value
    converted: list[Any] = []
    for i, item in enumerate(value):
        if isinstance(item, list | tuple):
            if len(item) != 2 or not isinstance(item[1], str):
                raise ValueError(f'template[{i}] must be [[[x,y],[x,y],[x,y],[x,y]], "name"]')
            points = item[0]
            if not isinstance(points, list | tuple) or len(points) != 4:
                raise ValueError(f"template[{i}] must have exactly 4 points")
            for p in points:
                if (
                    not isinstance(p, list | tuple)
                    or len(p) != 2
                    or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in p)
                ):
                    raise ValueError(f"template[{i}] points must be [x, y] pairs of numbers")
            converted.append({"name": item[1], "quad": points})
        else:
            converted.append(item)
    return converted


Regions = Annotated[list[Region], BeforeValidator(_regions_from_api)]
_REGIONS = TypeAdapter(Regions)


def parse_regions(raw: Any) -> list[Region]:
    """Regions from the CustomOCR wire form ``[[[[x,y]×4], "name"], …]`` (e.g. a templates JSON file)."""
    return _REGIONS.validate_python(raw)


def _unique_names(regions: list[Region]) -> list[Region]:
    if not regions:
        raise ValueError("template must name at least one region")
    seen: set[str] = set()
    for region in regions:
        if region.name in seen:
            raise ValueError(f"region name {region.name!r} is used twice")
        seen.add(region.name)
    return regions


class ImageSource(BaseModel):
    """Where an image comes from: ``url`` (http/https/s3) takes priority over base64 ``img``."""

    url: str | None = None
    img: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "ImageSource":
        if not self.url and not self.img:
            raise ValueError("give the image as 'url' or base64 'img'")
        return self


class AddTemplateRequest(ImageSource):
    template: Regions

    _check_names = field_validator("template")(_unique_names)


class QueryRequest(ImageSource):
    template_id: str = Field(min_length=1)
    # Return 202 with a job id at once instead of waiting for the result.
    async_: bool = Field(False, alias="async")


class TemplateRecord(BaseModel):
    template_id: str
    regions: list[Region]
    image_key: str
    compiled_key: str
    width: int
    height: int
    created_at: str


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.succeeded, JobStatus.failed)


class ErrorInfo(BaseModel):
    code: str
    message: str


class JobRecord(BaseModel):
    job_id: str
    template_id: str
    status: JobStatus
    source: Literal["api", "s3"]
    image_bucket: str
    image_key: str
    result_key: str
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    attempts: int = 0
    error: ErrorInfo | None = None
    notified_at: str | None = None
    expires_at: int


class QueryJobMessage(BaseModel):
    """The SQS body of a query job: ids and S3 pointers only, never image bytes."""

    v: Literal[1] = 1
    kind: Literal["query"] = "query"
    job_id: str
    template_id: str
    bucket: str
    key: str
    source: Literal["api", "s3"] = "api"


class FieldValue(BaseModel):
    """One entry of the CustomOCR answer."""

    key: str
    value: str
    score: float


class JobResult(BaseModel):
    """The result document stored in S3: the API answer plus what the engine knows about it."""

    job_id: str
    template_id: str
    status: JobStatus
    result: list[FieldValue] | None
    detail: dict[str, Any] | None = None
    error: ErrorInfo | None = None
    source_image: str
    finished_at: str


class JobEvent(BaseModel):
    """Published to SNS on every terminal state."""

    job_id: str
    template_id: str
    status: JobStatus
    result_location: str
    source: Literal["api", "s3"]
    error: ErrorInfo | None

"""What the gateway does, independent of which HTTP shape asked for it (CustomOCR body or resource routes)."""

import asyncio
import uuid
from dataclasses import dataclass

import aiohttp

from common.images import CONTENT_TYPES, ImageInfo, inspect_image
from common.queue import JobQueue
from common.schemas import (
    AddTemplateRequest,
    ErrorInfo,
    ImageSource,
    JobRecord,
    JobResult,
    JobStatus,
    QueryJobMessage,
    QueryRequest,
    Region,
    TemplateRecord,
    utc_now,
)
from common.settings import Settings
from common.store import Store
from producer.errors import ApiError
from producer.fetch import fetch_image
from producer.watch import JobWatcher
from worker.pipeline import compile_template, decode_image

# A point may sit this far outside the image (fraction of the side) — hand-drawn quads overshoot a little.
_REGION_SLACK = 0.02
_MIN_REGION_AREA_PX = 16.0
# Waiting queries learn that their job finished this often (one BatchGetItem for all of them, see
# producer/watch.py): half an interval on average between the worker finishing and the client getting
# the answer, 40 reads per second while anything waits.
_POLL_INTERVAL_S = 0.025


@dataclass
class JobView:
    record: JobRecord
    result: JobResult | None

    def to_json(self) -> dict[str, object]:
        r = self.record
        error = (self.result.error if self.result else None) or r.error
        return {
            "job_id": r.job_id,
            "status": r.status.value,
            "template_id": r.template_id,
            "result": (
                [f.model_dump() for f in self.result.result]
                if self.result and self.result.result is not None
                else None
            ),
            "detail": self.result.detail if self.result else None,
            "error": error.model_dump() if error else None,
            "created_at": r.created_at,
            "finished_at": r.finished_at,
            "source": r.source,
        }


class Gateway:
    def __init__(
        self, settings: Settings, store: Store, queue: JobQueue, http: aiohttp.ClientSession
    ) -> None:
        self._settings = settings
        self._store = store
        self._queue = queue
        self._http = http
        self._watcher = JobWatcher(store, _POLL_INTERVAL_S)

    async def _image(self, source: ImageSource) -> tuple[bytes, ImageInfo]:
        data = await fetch_image(source, self._store, self._http, self._settings.max_image_bytes)
        return data, inspect_image(data)

    # --- templates --------------------------------------------------------------------------------

    async def add_template(self, request: AddTemplateRequest) -> str:
        data, info = await self._image(request)
        _check_regions(request.template, info)
        compiled = await asyncio.get_running_loop().run_in_executor(None, _compile, data, request.template)
        template_id = uuid.uuid4().hex
        prefix = f"templates/{template_id}"
        record = TemplateRecord(
            template_id=template_id,
            regions=request.template,
            image_key=f"{prefix}/reference.{info.format}",
            compiled_key=f"{prefix}/compiled.npz",
            width=info.width,
            height=info.height,
            created_at=utc_now(),
        )
        await self._store.put_object(record.image_key, data, CONTENT_TYPES[info.format])
        await self._store.put_object(record.compiled_key, compiled, "application/octet-stream")
        # The record goes last: a template is listed only once everything it points at exists.
        await self._store.put_template(record)
        return template_id

    async def get_template(self, template_id: str) -> TemplateRecord:
        record = await self._store.get_template(template_id)
        if record is None:
            raise ApiError(404, "template_not_found", f"no template with id {template_id!r}")
        return record

    async def delete_template(self, template_id: str) -> None:
        if not await self._store.delete_template(template_id):
            raise ApiError(404, "template_not_found", f"no template with id {template_id!r}")

    async def list_templates(self) -> list[str]:
        return await self._store.list_template_ids()

    # --- queries ----------------------------------------------------------------------------------

    async def submit_query(self, request: QueryRequest) -> JobRecord:
        await self.get_template(request.template_id)
        data, info = await self._image(request)
        job_id = uuid.uuid4().hex
        image_key = f"queries/{job_id}.{info.format}"
        await self._store.put_object(image_key, data, CONTENT_TYPES[info.format])
        record = self._store.new_job(
            job_id=job_id,
            template_id=request.template_id,
            source="api",
            image_bucket=self._store.bucket,
            image_key=image_key,
            result_key=f"results/{job_id}.json",
        )
        await self._store.create_job(record)
        try:
            await self._queue.send(
                QueryJobMessage(
                    job_id=job_id, template_id=request.template_id, bucket=self._store.bucket, key=image_key
                )
            )
        except Exception as exc:
            # No message, no worker: close the job rather than leave it queued forever.
            await self._store.finish_job(
                job_id, JobStatus.failed, ErrorInfo(code="queue_unavailable", message=str(exc))
            )
            raise ApiError(503, "queue_unavailable", "the job queue is unavailable; retry later") from exc
        return record

    async def wait_for_job(self, job_id: str, timeout_s: float) -> JobView:
        """The job once it is terminal, or as it stands after ``timeout_s``."""
        await self._watcher.wait(job_id, timeout_s)
        return await self.job(job_id)

    async def close(self) -> None:
        await self._watcher.close()

    async def job(self, job_id: str) -> JobView:
        record = await self._store.get_job(job_id)
        if record is None:
            raise ApiError(404, "job_not_found", f"no job with id {job_id!r}")
        result = await self._store.find_result(record.result_key) if record.status.terminal else None
        return JobView(record, result)


def _check_regions(regions: list[Region], info: ImageInfo) -> None:
    for region in regions:
        xs = [p[0] for p in region.quad]
        ys = [p[1] for p in region.quad]
        slack_x, slack_y = info.width * _REGION_SLACK, info.height * _REGION_SLACK
        if (
            min(xs) < -slack_x
            or max(xs) > info.width + slack_x
            or min(ys) < -slack_y
            or max(ys) > info.height + slack_y
        ):
            raise ApiError(
                400,
                "region_outside_image",
                f"region {region.name!r} lies outside the {info.width}x{info.height} template image",
            )
        # Shoelace area: a quad with (almost) no area cannot hold text.
        area = 0.5 * abs(sum(xs[i] * ys[(i + 1) % 4] - xs[(i + 1) % 4] * ys[i] for i in range(4)))
        if area < _MIN_REGION_AREA_PX:
            raise ApiError(400, "degenerate_region", f"region {region.name!r} has no area")


def _compile(data: bytes, regions: list[Region]) -> bytes:
    return compile_template(decode_image(data), regions)

"""Run one queue message: turn it into a job, read the image, store the result, announce it.

What may go wrong, and what happens then:
- permanent (bad image, unknown or deleted template): the job fails with a code, the message is deleted;
- transient (S3/DynamoDB/SQS errors, a crashed OCR process): the message comes back after a backoff; on its
  last allowed receive the job is marked failed and the queue's redrive moves the message to the DLQ;
- duplicate delivery: the conditional state transitions let exactly one delivery finish the job and notify;
- poison (a body that is no job at all, or a query whose job record does not exist): forwarded to the
  DLQ for inspection and deleted.
"""

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import unquote_plus

from pydantic import ValidationError

from common.aws import error_code
from common.images import ImageRejected, inspect_image
from common.lru import LruCache
from common.notify import JobEvents
from common.queue import JobQueue, ReceivedMessage
from common.schemas import (
    ErrorInfo,
    FieldValue,
    JobEvent,
    JobRecord,
    JobResult,
    JobStatus,
    QueryJobMessage,
    TemplateRecord,
    utc_now,
)
from common.settings import Settings
from common.store import ConditionFailed, Store
from worker.ocr import OcrPool

log = logging.getLogger(__name__)

INCOMING_PREFIX = "incoming/"
# Without s3:ListBucket, S3 answers a missing key with 403: for the job it is the same dead end.
_MISSING_OBJECT = {"NoSuchKey", "404", "NoSuchBucket", "AccessDenied", "403"}


class Disposition(Enum):
    DELETE = "delete"  # done (or nothing to do): remove the message
    RETRY = "retry"  # transient failure: make it visible again after a backoff
    REDRIVE = "redrive"  # out of retries, job marked failed: let the queue move it to the DLQ
    DEAD_LETTER = "dead letter"  # no job at all, or one without a record: forward to the DLQ at once


@dataclass(frozen=True)
class Job:
    job_id: str
    template_id: str
    bucket: str
    key: str
    source: str
    result_key: str


class PermanentError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.error = ErrorInfo(code=code, message=message)


def s3_job_id(bucket: str, key: str, etag: str) -> str:
    """A repeated event for the same object version maps to the same job."""
    return "s3-" + hashlib.sha256(f"{bucket}\n{key}\n{etag}".encode()).hexdigest()[:32]


def jobs_from_body(body: str) -> list[Job] | None:
    """The jobs a message body asks for: [] for S3's test event, None when the body is no job at all."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    if data.get("Event") == "s3:TestEvent":
        return []
    if "Records" in data:
        jobs = []
        for record in data["Records"]:
            if record.get("eventSource") != "aws:s3" or not str(record.get("eventName", "")).startswith(
                "ObjectCreated"
            ):
                continue
            bucket = record["s3"]["bucket"]["name"]
            key = unquote_plus(record["s3"]["object"]["key"])
            template_id, _, name = key.removeprefix(INCOMING_PREFIX).partition("/")
            if not key.startswith(INCOMING_PREFIX) or not template_id or not name:
                log.warning("ignoring S3 event for %s outside incoming/<template_id>/<name>", key)
                continue
            jobs.append(
                Job(
                    job_id=s3_job_id(bucket, key, record["s3"]["object"].get("eTag", "")),
                    template_id=template_id,
                    bucket=bucket,
                    key=key,
                    source="s3",
                    result_key=f"results/{key}.json",
                )
            )
        return jobs
    try:
        message = QueryJobMessage.model_validate(data)
    except ValidationError:
        return None
    return [
        Job(
            job_id=message.job_id,
            template_id=message.template_id,
            bucket=message.bucket,
            key=message.key,
            source=message.source,
            result_key=f"results/{message.job_id}.json",
        )
    ]


@dataclass
class _CachedTemplate:
    image: bytes
    compiled: bytes


class JobRunner:
    def __init__(
        self, settings: Settings, store: Store, events: JobEvents, dlq: JobQueue, ocr: OcrPool
    ) -> None:
        self._settings = settings
        self._store = store
        self._events = events
        self._dlq = dlq
        self._ocr = ocr
        # Reference image + compiled data by (template_id, created_at), so a re-added id is fetched anew.
        self._templates: LruCache[tuple[str, str], _CachedTemplate] = LruCache(64)

    async def handle(self, message: ReceivedMessage) -> Disposition:
        jobs = jobs_from_body(message.body)
        last_try = message.receive_count >= self._settings.max_receive_count
        dispositions = (
            [Disposition.DEAD_LETTER] if jobs is None else [await self._run(j, last_try) for j in jobs]
        )
        if Disposition.DEAD_LETTER in dispositions:
            log.error("message %s is no job this worker can run; moving it to the DLQ", message.message_id)
            await self._dlq.send_raw(message.body)
            return Disposition.DELETE
        if Disposition.RETRY in dispositions:
            return Disposition.RETRY
        if Disposition.REDRIVE in dispositions:
            return Disposition.REDRIVE
        return Disposition.DELETE

    def backoff_s(self, receive_count: int) -> int:
        return int(min(self._settings.retry_max_s, self._settings.retry_base_s * 2 ** (receive_count - 1)))

    async def _run(self, job: Job, last_try: bool) -> Disposition:
        try:
            record = await self._claim(job)
            if isinstance(record, Disposition):
                return record
            try:
                result = await self._recognise(job)
            except PermanentError as exc:
                await self._finish(job, record, JobStatus.failed, None, exc.error)
                return Disposition.DELETE
            await self._finish(job, record, JobStatus.succeeded, result, None)
            return Disposition.DELETE
        except Exception as exc:
            log.warning("job %s: transient failure (%s: %s)", job.job_id, exc.__class__.__name__, exc)
            if not last_try:
                return Disposition.RETRY
            error = ErrorInfo(
                code="retries_exhausted", message=f"gave up after repeated {exc.__class__.__name__}"
            )
            try:
                record = await self._store.get_job(job.job_id)
                if record is not None and not record.status.terminal:
                    await self._finish(job, record, JobStatus.failed, None, error)
            except Exception:
                log.exception("job %s: could not mark the job failed", job.job_id)
            return Disposition.REDRIVE

    async def _claim(self, job: Job) -> JobRecord | Disposition:
        """Move the job to running, or say what to do with a message whose job cannot run."""
        if job.source == "s3":
            await self._store.create_job(
                self._store.new_job(
                    job_id=job.job_id,
                    template_id=job.template_id,
                    source="s3",
                    image_bucket=job.bucket,
                    image_key=job.key,
                    result_key=job.result_key,
                )
            )
        try:
            return await self._store.start_job(job.job_id)
        except ConditionFailed:
            pass
        record = await self._store.get_job(job.job_id)
        if record is None:
            # A query message whose record never existed or has expired: nothing to run or to fail.
            return Disposition.DEAD_LETTER
        # Already finished: a duplicate delivery.
        await self._renotify_if_lost(record)
        return Disposition.DELETE

    async def _renotify_if_lost(self, record: JobRecord) -> None:
        # A worker that died between finishing and publishing leaves notified_at unset. Only an old finish
        # counts as lost: a recent one belongs to a concurrent duplicate that is publishing right now.
        if record.notified_at or not record.finished_at:
            return
        finished = time.time() - datetime.fromisoformat(record.finished_at).timestamp()
        if finished > self._settings.visibility_timeout_s:
            await self._publish(record)

    async def _recognise(self, job: Job) -> JobResult:
        started = time.monotonic()
        template = await self._store.get_template(job.template_id)
        if template is None:
            raise PermanentError("template_not_found", f"no template with id {job.template_id!r}")
        cached = await self._template_blobs(template)
        try:
            query = await self._store.get_object(job.key, bucket=job.bucket)
        except Exception as exc:
            if error_code(exc) in _MISSING_OBJECT:
                raise PermanentError(
                    "image_not_found", f"s3://{job.bucket}/{job.key} is missing or unreadable"
                ) from exc
            raise
        try:
            inspect_image(query)
        except ImageRejected as exc:
            raise PermanentError(exc.code, exc.message) from exc
        ocr_started = time.monotonic()
        outcome = await self._ocr.read(
            (template.template_id, template.created_at),
            cached.image,
            cached.compiled,
            template.regions,
            query,
        )
        if "rejected" in outcome:
            raise PermanentError(outcome["rejected"]["code"], outcome["rejected"]["message"])
        read: dict[str, Any] = outcome["result"]
        engine_error = read.pop("error", None)
        # Where the worker's time went besides the engine's own timings: S3/DynamoDB reads before the
        # engine, the engine call as the worker saw it (waiting for a free OCR process included), and
        # decoding the query image in the OCR process.
        read["worker_ms"] = {
            "inputs": (ocr_started - started) * 1000,
            "ocr_call": (time.monotonic() - ocr_started) * 1000,
            "decode": outcome["decode_ms"],
        }
        return JobResult(
            job_id=job.job_id,
            template_id=job.template_id,
            status=JobStatus.succeeded,
            result=[FieldValue(key=f["key"], value=f["value"], score=f["score"]) for f in read["fields"]],
            detail=read,
            error=ErrorInfo.model_validate(engine_error) if engine_error else None,
            source_image=f"s3://{job.bucket}/{job.key}",
            finished_at=utc_now(),
        )

    async def _template_blobs(self, template: TemplateRecord) -> _CachedTemplate:
        key = (template.template_id, template.created_at)
        cached = self._templates.get(key)
        if cached is None:
            image, compiled = await asyncio.gather(
                self._store.get_object(template.image_key), self._store.get_object(template.compiled_key)
            )
            cached = _CachedTemplate(image, compiled)
            self._templates.put(key, cached)
        return cached

    async def _finish(
        self,
        job: Job,
        record: JobRecord,
        status: JobStatus,
        result: JobResult | None,
        error: ErrorInfo | None,
    ) -> None:
        # The result document is written before the state moves, so a succeeded job always has its result.
        document = result or JobResult(
            job_id=job.job_id,
            template_id=job.template_id,
            status=status,
            result=None,
            error=error,
            source_image=f"s3://{job.bucket}/{job.key}",
            finished_at=utc_now(),
        )
        await self._store.put_result(job.result_key, document)
        try:
            finished = await self._store.finish_job(job.job_id, status, error)
        except ConditionFailed:
            log.info("job %s was finished by another delivery", job.job_id)
            return
        await self._publish(finished)

    async def _publish(self, record: JobRecord) -> None:
        await self._events.publish(
            JobEvent(
                job_id=record.job_id,
                template_id=record.template_id,
                status=record.status,
                result_location=f"s3://{self._store.bucket}/{record.result_key}",
                source=record.source,
                error=record.error,
            )
        )
        await self._store.mark_notified(record.job_id)

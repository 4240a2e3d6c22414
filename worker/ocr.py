"""The OCR engine in a pool of processes.

Paddle inference is not thread-safe and holds the GIL for long stretches, so each process owns one engine,
loaded and warmed up once when the process starts. Bytes go in, a JSON-able dict comes out: exceptions of the
pipeline are turned into values here, because a custom exception may not survive the trip between processes.
Queries that wait for a busy pool are handed to the next free process together (`OcrPool`).
"""

import asyncio
import concurrent.futures
import logging
import multiprocessing
import signal
import time
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

from common.lru import LruCache
from common.schemas import Region
from worker.pipeline import EngineConfig, ImageRejected, TemplateData, TemplateReader, decode_image

log = logging.getLogger(__name__)

_reader: TemplateReader | None = None
# Decoded templates by (template_id, created_at): a re-added id never reuses a stale entry.
_templates: LruCache[tuple[str, str], TemplateData] = LruCache(32)


def _init_process(config: EngineConfig) -> None:
    global _reader
    # Ctrl-C in a terminal reaches the whole process group; the parent alone decides when to stop and
    # then shuts this pool down, so an OCR process must not die of SIGINT mid-job.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _reader = TemplateReader(config)
    _reader.warmup()


def _ready() -> bool:
    return _reader is not None


OcrRequest = tuple[tuple[str, str], bytes, bytes, list[dict[str, Any]], bytes]
"""(template key, template image bytes, compiled template, regions as JSON, query image bytes)"""


def _template(
    template_key: tuple[str, str], image: bytes, compiled: bytes, regions: list[dict[str, Any]]
) -> TemplateData:
    template = _templates.get(template_key)
    if template is None:
        template = TemplateData(
            template_id=template_key[0],
            image=decode_image(image),
            regions=[Region.model_validate(r) for r in regions],
            compiled=compiled,
        )
        _templates.put(template_key, template)
    return template


def _read_batch(requests: list[OcrRequest]) -> list[dict[str, Any]]:
    """Answer each request with {"result", "decode_ms"}, {"rejected": {code, message}} (the query is not
    an image the engine can read) or {"crashed": why} (the engine raised).

    The decodable queries are read in one engine pass, so their regions share detector and recogniser
    batches. If that pass raises, each query is read alone, so that one bad query cannot fail the others.
    """
    assert _reader is not None, "process initializer did not run"
    answers: list[dict[str, Any]] = [{} for _ in requests]
    readable: list[tuple[int, np.ndarray, TemplateData]] = []
    for index, (template_key, template_image, compiled, regions, query) in enumerate(requests):
        try:
            template = _template(template_key, template_image, compiled, regions)
        except Exception:  # stored templates were checked on add: this is not the query's fault
            log.exception("template %s could not be loaded", template_key[0])
            answers[index] = {"crashed": traceback.format_exc(limit=5)}
            continue
        started = time.perf_counter()
        try:
            image = decode_image(query)
        except ImageRejected as exc:
            answers[index] = {"rejected": {"code": exc.code, "message": exc.message}}
            continue
        answers[index]["decode_ms"] = (time.perf_counter() - started) * 1000
        readable.append((index, image, template))
    try:
        results = _reader.read_many([(image, template) for _, image, template in readable])
    except Exception:
        if len(readable) == 1:
            log.exception("OCR failed")
            answers[readable[0][0]] = {"crashed": traceback.format_exc(limit=5)}
            return answers
        log.exception("OCR of a batch of %d failed; reading its queries one by one", len(readable))
        for index, image, template in readable:
            try:
                answers[index]["result"] = _reader.read(image, template).model_dump(mode="json")
            except Exception:
                log.exception("OCR failed")
                answers[index] = {"crashed": traceback.format_exc(limit=5)}
        return answers
    for (index, _, _), result in zip(readable, results, strict=True):
        answers[index]["result"] = result.model_dump(mode="json")
    return answers


class OcrFailed(RuntimeError):
    """The engine raised while reading a query (a transient failure for the job: it is retried)."""


@dataclass
class _Pending:
    request: OcrRequest
    answer: asyncio.Future[dict[str, Any]]


class OcrPool:
    """OCR processes fed with batches of queries.

    A request waits while every process is busy; a process that frees up takes up to `batch_size`
    waiting requests at once and reads them in one engine pass. Under light load each query runs alone
    without waiting; under load the batches fill by themselves, which on a GPU is what keeps the device
    busy (recognition batched across jobs).
    """

    def __init__(self, config: EngineConfig, processes: int, batch_size: int = 1) -> None:
        self._config = config
        self._processes = processes
        self._batch_size = batch_size
        self._pool = self._new_pool()
        self._waiting: list[_Pending] = []
        self._idle = processes
        self._running: set[asyncio.Task[None]] = set()

    def _new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_process,
            initargs=(self._config,),
        )

    async def start(self) -> None:
        """Start every process and wait until each has loaded and warmed up its models."""
        loop = asyncio.get_running_loop()
        ready = await asyncio.gather(
            *(loop.run_in_executor(self._pool, _ready) for _ in range(self._processes))
        )
        if not all(ready):
            raise RuntimeError("an OCR process failed to load its models")

    async def read(
        self,
        template_key: tuple[str, str],
        template_image: bytes,
        compiled: bytes,
        regions: list[Region],
        query: bytes,
    ) -> dict[str, Any]:
        """{"result", "decode_ms"} or {"rejected": {code, message}}; raises OcrFailed when the engine
        raised, BrokenProcessPool when an OCR process died."""
        request = (
            template_key,
            template_image,
            compiled,
            [r.model_dump(mode="json") for r in regions],
            query,
        )
        pending = _Pending(request, asyncio.get_running_loop().create_future())
        self._waiting.append(pending)
        self._dispatch()
        answer = await pending.answer
        if "crashed" in answer:
            raise OcrFailed(answer["crashed"])
        return answer

    def _dispatch(self) -> None:
        # A caller that gave up (job cancelled on shutdown) leaves a done future behind: skip it.
        self._waiting = [p for p in self._waiting if not p.answer.done()]
        while self._waiting and self._idle > 0:
            batch, self._waiting = self._waiting[: self._batch_size], self._waiting[self._batch_size :]
            self._idle -= 1
            task = asyncio.create_task(self._run(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[_Pending]) -> None:
        loop = asyncio.get_running_loop()
        try:
            answers = await loop.run_in_executor(self._pool, _read_batch, [p.request for p in batch])
        except asyncio.CancelledError:  # the pool was shut down under it: its callers are cancelled too
            for pending in batch:
                pending.answer.cancel()
            raise
        except Exception as exc:
            if isinstance(exc, concurrent.futures.process.BrokenProcessPool):
                # A process died (OOM, segfault): replace the pool; the callers retry their jobs later.
                log.error("OCR process pool broke; starting a new one")
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
            for pending in batch:
                if not pending.answer.done():
                    pending.answer.set_exception(exc)
        else:
            for pending, answer in zip(batch, answers, strict=True):
                if not pending.answer.done():
                    pending.answer.set_result(answer)
        finally:
            self._idle += 1
            self._dispatch()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

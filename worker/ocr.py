"""The OCR engine in a pool of processes.

Paddle inference is not thread-safe and holds the GIL for long stretches, so each process owns one engine,
loaded and warmed up once when the process starts. Bytes go in, a JSON-able dict comes out: exceptions of the
pipeline are turned into values here, because a custom exception may not survive the trip between processes.
"""

import asyncio
import concurrent.futures
import logging
import multiprocessing
import signal
import time
from typing import Any

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


def _read(
    template_key: tuple[str, str],
    template_image: bytes,
    compiled: bytes,
    regions: list[dict[str, Any]],
    query: bytes,
) -> dict[str, Any]:
    assert _reader is not None, "process initializer did not run"
    template = _templates.get(template_key)
    if template is None:
        template = TemplateData(
            template_id=template_key[0],
            image=decode_image(template_image),
            regions=[Region.model_validate(r) for r in regions],
            compiled=compiled,
        )
        _templates.put(template_key, template)
    started = time.perf_counter()
    try:
        image = decode_image(query)
    except ImageRejected as exc:
        return {"rejected": {"code": exc.code, "message": exc.message}}
    decode_ms = (time.perf_counter() - started) * 1000
    return {"result": _reader.read(image, template).model_dump(mode="json"), "decode_ms": decode_ms}


class OcrPool:
    def __init__(self, config: EngineConfig, processes: int) -> None:
        self._config = config
        self._processes = processes
        self._pool = self._new_pool()

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
        args = (template_key, template_image, compiled, [r.model_dump(mode="json") for r in regions], query)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, _read, *args)
        except concurrent.futures.process.BrokenProcessPool:
            # A process died (OOM, segfault): replace the pool; the caller retries the job later.
            log.error("OCR process pool broke; starting a new one")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

"""Waiting for jobs to finish: one DynamoDB read per interval for all requests waiting in this process.

A synchronous query holds its HTTP request open until its job is terminal. Polling each job on its own
costs a read per waiting request per interval (8 waiting requests at 25 ms: 320 reads/s, which on the
local stack kept moto's server busy enough to halve the OCR worker's throughput on 2 cores); this watcher
reads the status of every waiting job in one BatchGetItem per interval instead.
"""

import asyncio
import contextlib
import logging

from common.store import Store

log = logging.getLogger(__name__)

_BATCH_KEYS = 100  # BatchGetItem's limit


class JobWatcher:
    def __init__(self, store: Store, interval_s: float) -> None:
        self._store = store
        self._interval_s = interval_s
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def wait(self, job_id: str, timeout_s: float) -> None:
        """Return once the job is terminal, or after `timeout_s` (the caller reads the record either way)."""
        finished = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(job_id, []).append(finished)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._watch())
        try:
            await asyncio.wait_for(finished, timeout_s)
        except TimeoutError:
            pass
        finally:
            futures = self._waiting.get(job_id, [])
            if finished in futures:
                futures.remove(finished)
                if not futures:
                    del self._waiting[job_id]

    async def _watch(self) -> None:
        while self._waiting:
            await asyncio.sleep(self._interval_s)
            job_ids = list(self._waiting)
            for start in range(0, len(job_ids), _BATCH_KEYS):
                try:
                    statuses = await self._store.job_statuses(job_ids[start : start + _BATCH_KEYS])
                except Exception:  # a failed read only delays the answer; waiters time out on their own
                    log.exception("reading the status of %d waiting jobs failed", len(job_ids))
                    continue
                for job_id, status in statuses.items():
                    if status.terminal:
                        for finished in self._waiting.pop(job_id, []):
                            if not finished.done():
                                finished.set_result(None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

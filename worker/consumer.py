"""Receive, heartbeat, ack, retry: the SQS side of the worker.

A message is deleted only after its job's result is durably written (the runner returns DELETE then). While
a job runs, a heartbeat keeps the message invisible; on SIGTERM the consumer stops receiving, gives in-flight
jobs a grace period, and hands back the ones still running so another worker picks them up at once.
"""

import asyncio
import contextlib
import logging

from common.queue import JobQueue, ReceivedMessage
from common.settings import Settings
from worker.jobs import Disposition, JobRunner

log = logging.getLogger(__name__)


class Consumer:
    def __init__(self, settings: Settings, queue: JobQueue, runner: JobRunner) -> None:
        self._settings = settings
        self._queue = queue
        self._runner = runner
        self._in_flight: dict[asyncio.Task[None], ReceivedMessage] = {}

    async def run(self, stop: asyncio.Event) -> None:
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                free = self._settings.max_in_flight - len(self._in_flight)
                if free <= 0:
                    await asyncio.wait([stopping, *self._in_flight], return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    # Never cancelled: SQS would still hand messages to an abandoned long poll, and they
                    # would stay invisible for a whole visibility timeout. Shutdown waits for it instead.
                    messages = await self._queue.receive(
                        free, self._settings.receive_wait_s, self._settings.visibility_timeout_s
                    )
                except Exception:
                    log.exception("receive failed; retrying shortly")
                    await asyncio.sleep(2)
                    continue
                if stop.is_set():
                    await self._release(messages)
                    break
                for message in messages:
                    task = asyncio.create_task(self._process(message))
                    self._in_flight[task] = message
                    task.add_done_callback(self._in_flight.pop)
        finally:
            stopping.cancel()
            await self._drain()

    async def _drain(self) -> None:
        if not self._in_flight:
            return
        log.info(
            "waiting up to %.0f s for %d in-flight jobs",
            self._settings.shutdown_grace_s,
            len(self._in_flight),
        )
        _, pending = await asyncio.wait(list(self._in_flight), timeout=self._settings.shutdown_grace_s)
        released = [self._in_flight[task] for task in pending]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        await self._release(released)

    async def _release(self, messages: list[ReceivedMessage]) -> None:
        """Hand messages back to the queue now, for another worker, not after the visibility timeout."""
        for message in messages:
            with contextlib.suppress(Exception):
                await self._queue.set_visibility(message, 0)

    async def _process(self, message: ReceivedMessage) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(message))
        try:
            disposition = await self._runner.handle(message)
        except Exception:
            log.exception("message %s: unexpected failure; it will be retried", message.message_id)
            disposition = Disposition.RETRY
        finally:
            heartbeat.cancel()
        try:
            if disposition is Disposition.DELETE:
                await self._queue.delete(message)
            elif disposition is Disposition.RETRY:
                await self._queue.set_visibility(message, self._runner.backoff_s(message.receive_count))
            else:
                # Visible at once: the next receive exceeds maxReceiveCount and SQS moves it to the DLQ.
                await self._queue.set_visibility(message, 0)
        except Exception:
            log.exception("message %s: could not %s it", message.message_id, disposition.value)

    async def _heartbeat(self, message: ReceivedMessage) -> None:
        timeout = self._settings.visibility_timeout_s
        while True:
            await asyncio.sleep(timeout / 3)
            try:
                await self._queue.set_visibility(message, timeout)
            except Exception:
                log.warning("heartbeat for message %s failed", message.message_id)

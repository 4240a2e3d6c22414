"""Wire a worker together: AWS clients, store, queues, SNS, the OCR pool and the consumer."""

import asyncio

from common.aws import AwsClients
from common.notify import JobEvents
from common.queue import JobQueue
from common.settings import Settings
from common.store import Store
from worker.consumer import Consumer
from worker.jobs import JobRunner
from worker.ocr import OcrPool
from worker.pipeline import EngineConfig


def engine_config(settings: Settings) -> EngineConfig:
    return EngineConfig(
        profile=settings.model_profile, model_root=settings.model_root, device=settings.device
    )


async def serve(
    settings: Settings, ocr: OcrPool, stop: asyncio.Event, store_cls: type[Store] = Store
) -> None:
    """Consume the jobs queue until ``stop`` is set. A fault-injection test may pass its own ``store_cls``."""
    clients = await AwsClients.open(settings)
    try:
        runner = JobRunner(
            settings,
            store_cls(clients, settings),
            JobEvents(clients, settings.topic_arn),
            JobQueue(clients, settings.dlq),
            ocr,
        )
        await Consumer(settings, JobQueue(clients, settings.jobs_queue), runner).run(stop)
    finally:
        await clients.close()

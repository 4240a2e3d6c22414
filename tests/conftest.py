"""The test stack: moto's server over real HTTP, the real gateway on a TCP port, a real worker with the
real OCR models. Tests talk to it only through HTTP (the API) and aiobotocore (S3/SQS/DynamoDB/SNS)."""

import asyncio
import json
import socket
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from moto.server import ThreadedMotoServer

from common.aws import AwsClients
from common.settings import Settings
from devstack.__main__ import local_settings
from devstack.resources import create_resources
from producer.app import create_app
from worker.ocr import OcrPool
from worker.pipeline import EngineConfig, TemplateReader
from worker.pipeline.config import DEFAULT_MODEL_ROOT
from worker.service import engine_config, serve

REPO = Path(__file__).resolve().parents[1]
SHARED_EVAL = REPO.parent / "shared" / "eval" / "aws-healthcode"
SAMPLES = REPO / "samples"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def reader() -> TemplateReader:
    """The engine in this process (the pipeline and benchmark tests), loaded once per test module."""
    rec = DEFAULT_MODEL_ROOT / "PP-OCRv4_mobile_rec" / "inference.yml"
    if not rec.is_file():
        pytest.fail(f"dev OCR models missing ({rec}); run: python models/fetch_dev.py")
    reader = TemplateReader(EngineConfig())
    reader.warmup()
    return reader


@pytest.fixture(scope="session")
def moto_port() -> Iterator[int]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield port
    server.stop()


@pytest.fixture(scope="session")
def settings(moto_port: int) -> Settings:
    # A fast backoff keeps retries quick.
    # A short long-poll keeps worker shutdowns (one per worker fixture) quick.
    return local_settings(moto_port, port=free_port(), sync_wait_s=60.0, retry_base_s=1.0, receive_wait_s=2)


@pytest.fixture(scope="session")
async def clients(settings: Settings) -> AsyncIterator[AwsClients]:
    clients = await AwsClients.open(settings)
    await create_resources(clients, settings)
    yield clients
    await clients.close()


@pytest.fixture(scope="session")
async def ocr(settings: Settings) -> AsyncIterator[OcrPool]:
    pool = OcrPool(engine_config(settings), processes=1, batch_size=settings.ocr_batch_size)
    await pool.start()
    yield pool
    pool.close()


@dataclass
class Events:
    """Every SNS event of the session, received through an SQS subscription to the topic."""

    by_job: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    async def wait_for(self, job_id: str, timeout_s: float = 60.0) -> list[dict[str, Any]]:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not self.by_job.get(job_id):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no SNS event for job {job_id} within {timeout_s} s")
            await asyncio.sleep(0.1)
        return self.by_job[job_id]


@pytest.fixture(scope="session")
async def events(clients: AwsClients, settings: Settings) -> AsyncIterator[Events]:
    queue_url = (await clients.sqs.create_queue(QueueName="test-events"))["QueueUrl"]
    arn = (await clients.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    await clients.sns.subscribe(TopicArn=settings.topic_arn, Protocol="sqs", Endpoint=arn)
    collected = Events()

    async def drain() -> None:
        while True:
            response = await clients.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            for message in response.get("Messages", []):
                envelope = json.loads(message["Body"])
                event = json.loads(envelope["Message"])
                event["_attributes"] = {
                    k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()
                }
                collected.by_job[event["job_id"]].append(event)
                await clients.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    task = asyncio.create_task(drain())
    yield collected
    task.cancel()


@dataclass
class Stack:
    url: str
    http: aiohttp.ClientSession
    clients: AwsClients
    settings: Settings
    events: Events

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        async with self.http.post(self.url + path, json=body) as response:
            return response.status, await response.json()

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.url + path) as response:
            return response.status, await response.json()

    async def wait_job(self, job_id: str, timeout_s: float = 120.0) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            status, job = await self.get(f"/jobs/{job_id}")
            assert status == 200, job
            if job["status"] in ("succeeded", "failed"):
                return job
            assert asyncio.get_running_loop().time() < deadline, f"job {job_id} still {job['status']}"
            await asyncio.sleep(0.2)

    async def wait_queue_empty(self, queue: str, timeout_s: float = 120) -> None:
        """Until no message is waiting or in flight on ``queue``."""
        url = (await self.clients.sqs.get_queue_url(QueueName=queue))["QueueUrl"]
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            attrs = (await self.clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names))[
                "Attributes"
            ]
            if all(attrs[name] == "0" for name in names):
                return
            assert asyncio.get_running_loop().time() < deadline, attrs
            await asyncio.sleep(0.2)

    async def s3_json(self, key: str, timeout_s: float = 120.0) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            try:
                response = await self.clients.s3.get_object(Bucket=self.settings.bucket, Key=key)
                async with response["Body"] as body:
                    return dict(json.loads(await body.read()))
            except self.clients.s3.exceptions.NoSuchKey:
                assert asyncio.get_running_loop().time() < deadline, f"no s3 object {key}"
                await asyncio.sleep(0.3)


@pytest.fixture(scope="session")
async def stack(
    settings: Settings, clients: AwsClients, ocr: OcrPool, events: Events
) -> AsyncIterator[Stack]:
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.port).start()
    stop = asyncio.Event()
    worker = asyncio.create_task(serve(settings, ocr, stop))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=180)) as http:
        yield Stack(f"http://127.0.0.1:{settings.port}", http, clients, settings, events)
    stop.set()
    await worker
    await runner.cleanup()

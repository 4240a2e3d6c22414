"""Worker faults never lose or double a job: duplicates, permanent errors, poison, retries into the DLQ."""

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from common.aws import AwsClients
from common.schemas import QueryJobMessage, parse_regions
from common.settings import Settings
from common.store import Store
from devstack.resources import create_queues
from tests.conftest import REPO, Stack
from tests.documents import b64, ticket
from worker.ocr import OcrPool
from worker.pipeline import compile_template, decode_image
from worker.service import engine_config, serve


async def add(stack: Stack) -> str:
    doc = ticket()
    status, body = await stack.post(
        "/custom_ocr", {"type": "add", "img": b64(doc.template), "template": doc.regions}
    )
    assert status == 200
    return str(body["template_id"])


async def stage_job(stack: Stack, job_id: str, template_id: str) -> QueryJobMessage:
    """What the gateway does before it sends a query message: the image in S3 and a queued job record."""
    store = Store(stack.clients, stack.settings)
    key = f"queries/{job_id}.jpg"
    await store.put_object(key, ticket().query, "image/jpeg")
    await store.create_job(
        store.new_job(
            job_id=job_id,
            template_id=template_id,
            source="api",
            image_bucket=store.bucket,
            image_key=key,
            result_key=f"results/{job_id}.json",
        )
    )
    return QueryJobMessage(job_id=job_id, template_id=template_id, bucket=store.bucket, key=key)


async def send(stack: Stack, queue: str, body: str) -> None:
    url = (await stack.clients.sqs.get_queue_url(QueueName=queue))["QueueUrl"]
    await stack.clients.sqs.send_message(QueueUrl=url, MessageBody=body)


async def queue_messages(clients: AwsClients, queue: str, wait_s: int = 1) -> list[str]:
    url = (await clients.sqs.get_queue_url(QueueName=queue))["QueueUrl"]
    response = await clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_s)
    return [m["Body"] for m in response.get("Messages", [])]


async def test_duplicate_delivery_gives_one_result_and_one_event(stack: Stack) -> None:
    template_id = await add(stack)
    status, accepted = await stack.post("/jobs", {"template_id": template_id, "img": b64(ticket().query)})
    assert status == 202
    job_id = accepted["job_id"]
    job = await stack.wait_job(job_id)
    assert job["status"] == "succeeded"
    # SQS delivers at least once: the same message again must not run or announce the job twice.
    record = await Store(stack.clients, stack.settings).get_job(job_id)
    assert record is not None
    message = QueryJobMessage(
        job_id=job_id, template_id=template_id, bucket=record.image_bucket, key=record.image_key
    )
    await send(stack, stack.settings.jobs_queue, message.model_dump_json())
    await send(stack, stack.settings.jobs_queue, message.model_dump_json())
    await stack.wait_queue_empty(stack.settings.jobs_queue)
    await asyncio.sleep(1.5)  # let any (wrong) second event reach the subscription queue
    assert len(stack.events.by_job[job_id]) == 1
    after = await Store(stack.clients, stack.settings).get_job(job_id)
    assert after is not None and after.attempts == 1 and after.finished_at == record.finished_at


async def test_permanent_error_fails_the_job_without_retry(stack: Stack) -> None:
    template_id = await add(stack)
    # A valid PNG header over garbage: the gateway's header check passes, decoding in the worker cannot.
    broken = ticket().template[:200] + bytes(500)
    body = {"template_id": template_id, "img": b64(broken)}
    async with stack.http.post(f"{stack.url}/custom_ocr", json=body) as response:
        assert response.status == 422
        assert (await response.json())["error"]["code"] == "corrupt_image"
        job_id = response.headers["x-job-id"]
    _, listed = await stack.get("/templates")
    assert template_id in listed["template_id_list"]
    (event,) = await stack.events.wait_for(job_id)
    assert event["status"] == "failed" and event["error"]["code"] == "corrupt_image"
    await stack.wait_queue_empty(stack.settings.jobs_queue)
    record = await Store(stack.clients, stack.settings).get_job(job_id)
    assert record is not None and record.attempts == 1 and record.status == "failed"


async def test_template_deleted_after_enqueue_fails_permanently(stack: Stack) -> None:
    template_id = await add(stack)
    message = await stage_job(stack, "orphan-job", template_id)
    await stack.post("/custom_ocr", {"type": "del", "template_id": template_id})
    await send(stack, stack.settings.jobs_queue, message.model_dump_json())
    job = await stack.wait_job("orphan-job")
    assert job["status"] == "failed" and job["error"]["code"] == "template_not_found"


class FailingQueryImages(Store):
    """Fault injection (the only stand-in here): every read of a query image fails as S3 throttling would."""

    async def get_object(self, key: str, bucket: str | None = None) -> bytes:
        if key.startswith("queries/"):
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "SlowDown", "Message": "injected"}}, "GetObject")
        return await super().get_object(key, bucket)


@pytest.fixture
async def flaky_worker(stack: Stack, ocr: OcrPool) -> AsyncIterator[Settings]:
    """A second worker on its own queue pair (maxReceiveCount 2, no backoff) whose S3 reads keep failing."""
    settings = stack.settings.model_copy(
        update={
            "jobs_queue": "flaky-jobs",
            "dlq": "flaky-jobs-dlq",
            "max_receive_count": 2,
            "retry_base_s": 0.0,
        }
    )
    await create_queues(stack.clients, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, ocr, stop, store_cls=FailingQueryImages))
    yield settings
    stop.set()
    await task


async def test_transient_error_that_never_clears_ends_in_dlq(stack: Stack, flaky_worker: Settings) -> None:
    template_id = await add(stack)
    message = await stage_job(stack, "flaky-job", template_id)
    await send(stack, flaky_worker.jobs_queue, message.model_dump_json())

    job = await stack.wait_job("flaky-job")
    assert job["status"] == "failed" and job["error"]["code"] == "retries_exhausted"
    (event,) = await stack.events.wait_for("flaky-job")
    assert event["status"] == "failed"
    record = await Store(stack.clients, stack.settings).get_job("flaky-job")
    assert record is not None and record.attempts == 2
    deadline = asyncio.get_running_loop().time() + 30
    while not (dead := await queue_messages(stack.clients, flaky_worker.dlq)):
        assert asyncio.get_running_loop().time() < deadline, "the message never reached the DLQ"
    assert json.loads(dead[0])["job_id"] == "flaky-job"


async def test_poison_and_orphan_messages_go_to_the_dlq(stack: Stack, flaky_worker: Settings) -> None:
    """A body that is no job, and a query for a job that has no record, are dead letters at once."""
    orphan = QueryJobMessage(
        job_id="ghost-job", template_id="t", bucket=stack.settings.bucket, key="queries/x.jpg"
    )
    await send(stack, flaky_worker.jobs_queue, "this is not a job")
    await send(stack, flaky_worker.jobs_queue, orphan.model_dump_json())
    seen: set[str] = set()
    deadline = asyncio.get_running_loop().time() + 30
    while not {"this is not a job", orphan.model_dump_json()} <= seen:
        assert asyncio.get_running_loop().time() < deadline, f"only {seen} reached the DLQ"
        seen.update(await queue_messages(stack.clients, flaky_worker.dlq))
    assert await Store(stack.clients, stack.settings).get_job("ghost-job") is None


async def test_sigterm_finishes_the_job_in_flight_then_exits(stack: Stack, tmp_path: Path) -> None:
    """`python -m worker` as a process: SIGTERM while a job runs → the job completes, then a clean exit."""
    settings = stack.settings.model_copy(update={"jobs_queue": "sigterm-jobs", "dlq": "sigterm-jobs-dlq"})
    await create_queues(stack.clients, settings)
    ready = tmp_path / "ready"
    env = {
        **os.environ,
        "CUSTOMOCR_AWS_ENDPOINT_URL": str(settings.aws_endpoint_url),
        "CUSTOMOCR_JOBS_QUEUE": settings.jobs_queue,
        "CUSTOMOCR_DLQ": settings.dlq,
        "CUSTOMOCR_READY_FILE": str(ready),
    }
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "worker", env=env, cwd=REPO)
    try:
        deadline = asyncio.get_running_loop().time() + 120
        while not ready.exists():
            assert process.returncode is None and asyncio.get_running_loop().time() < deadline, (
                "worker not ready"
            )
            await asyncio.sleep(0.2)
        template_id = await add(stack)
        message = await stage_job(stack, "sigterm-job", template_id)
        await send(stack, settings.jobs_queue, message.model_dump_json())
        store = Store(stack.clients, stack.settings)
        for _ in range(2400):  # until the worker has taken the job (at most 2 minutes)
            record = await store.get_job("sigterm-job")
            if record is not None and record.status != "queued":
                break
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=90) == 0
    finally:
        if process.returncode is None:
            process.kill()
    record = await store.get_job("sigterm-job")
    assert record is not None and record.status == "succeeded"
    assert not ready.exists()
    await stack.wait_queue_empty(settings.jobs_queue)


async def test_waiting_queries_are_read_together_and_a_bad_one_alone(settings: Settings) -> None:
    """Queries that arrive while the OCR process is busy go to it as one batch (recognition batched
    across jobs, as on a GPU worker) and each gets its own answer: a corrupt image in the batch is
    rejected, the others read."""
    ocr = OcrPool(engine_config(settings), processes=1, batch_size=4)
    await ocr.start()
    try:
        await _read_a_batch(ocr)
    finally:
        ocr.close()


async def _read_a_batch(ocr: OcrPool) -> None:
    doc, other = ticket(), ticket(2)
    regions = parse_regions(doc.regions)
    template = (doc.template, compile_template(decode_image(doc.template), regions), regions)
    queries = [doc.query, other.query, b"\xff\xd8\xff\xe0 not really a jpeg", doc.query]
    answers = await asyncio.gather(
        *(ocr.read(("batch-test", "v1"), template[0], template[1], template[2], query) for query in queries)
    )
    # the first query found the process idle and ran alone; the rest waited and ran as one batch
    first, *rest = answers
    assert first["result"]["timings"]["batch_size"] == 1
    assert [a["result"]["timings"]["batch_size"] for a in rest if "result" in a] == [2, 2]
    assert answers[2]["rejected"]["code"] == "corrupt_image"
    for answer, expected in ((answers[0], doc), (answers[1], other), (answers[3], doc)):
        values = {f["key"]: f["value"] for f in answer["result"]["fields"]}
        for key in ("车次", "出发站", "到达站"):
            assert values[key] == expected.expected[key], key

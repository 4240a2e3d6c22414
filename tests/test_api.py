"""The CustomOCR API end to end over HTTP: gateway → SQS → worker (real models) → S3/DynamoDB → SNS."""

import asyncio
import time
import uuid

import pytest
from aiohttp import web

from bench.metrics import normalize
from common.schemas import ErrorInfo, JobStatus
from common.store import Store
from producer.app import create_app
from producer.watch import JobWatcher
from tests.conftest import Stack, free_port
from tests.documents import SHARED_EVAL, b64, shared_case, ticket


async def add_template(stack: Stack, image: bytes, regions: list) -> str:
    status, body = await stack.post("/custom_ocr", {"type": "add", "img": b64(image), "template": regions})
    assert status == 200, body
    return str(body["template_id"])


async def test_template_lifecycle_and_queries(stack: Stack) -> None:
    doc = ticket()
    template_id = await add_template(stack, doc.template, doc.regions)

    status, listed = await stack.post("/custom_ocr", {"type": "list"})
    assert status == 200 and template_id in listed["template_id_list"]

    # Synchronous query: the API list, as old clients expect.
    status, fields = await stack.post("/custom_ocr", {"template_id": template_id, "img": b64(doc.query)})
    assert status == 200, fields
    assert [f["key"] for f in fields] == [r[1] for r in doc.regions]
    assert all(set(f) == {"key", "value", "score"} and 0 <= f["score"] <= 100 for f in fields)
    read = {f["key"]: normalize(f["value"]) for f in fields}
    correct = [k for k, v in doc.expected.items() if read[k] == normalize(v)]
    assert len(correct) >= len(doc.expected) - 1, (read, doc.expected)

    # Asynchronous query: 202 at once, then poll.
    status, accepted = await stack.post(
        "/custom_ocr", {"type": "query", "template_id": template_id, "img": b64(doc.query), "async": True}
    )
    assert status == 202 and accepted["status"] == "queued"
    assert accepted["result_url"] == f"/jobs/{accepted['job_id']}"
    job = await stack.wait_job(accepted["job_id"])
    assert job["status"] == "succeeded" and job["source"] == "api" and job["template_id"] == template_id
    assert [f["value"] for f in job["result"]] == [f["value"] for f in fields]
    assert job["detail"]["alignment"]["method"] != "none"
    assert job["created_at"] <= job["finished_at"]
    (event,) = await stack.events.wait_for(accepted["job_id"])
    assert event["status"] == "succeeded" and event["source"] == "api"
    assert event["result_location"] == f"s3://{stack.settings.bucket}/results/{accepted['job_id']}.json"
    assert event["_attributes"] == {"status": "succeeded", "template_id": template_id}

    status, deleted = await stack.post("/custom_ocr", {"type": "del", "template_id": template_id})
    assert status == 200 and deleted == {"template_id": template_id}
    status, listed = await stack.post("/custom_ocr", {"type": "list"})
    assert template_id not in listed["template_id_list"]
    status, error = await stack.post("/custom_ocr", {"template_id": template_id, "img": b64(doc.query)})
    assert status == 404 and error["error"]["code"] == "template_not_found"
    status, error = await stack.post("/custom_ocr", {"type": "del", "template_id": template_id})
    assert status == 404 and error["error"]["code"] == "template_not_found"


async def test_resource_routes(stack: Stack) -> None:
    doc = ticket()
    status, created = await stack.post("/templates", {"img": b64(doc.template), "template": doc.regions})
    assert status == 201
    template_id = created["template_id"]
    status, record = await stack.get(f"/templates/{template_id}")
    assert status == 200 and [r["name"] for r in record["regions"]] == [r[1] for r in doc.regions]
    status, listed = await stack.get("/templates")
    assert template_id in listed["template_id_list"]

    status, accepted = await stack.post("/jobs", {"template_id": template_id, "img": b64(doc.query)})
    assert status == 202
    job = await stack.wait_job(accepted["job_id"])
    assert job["status"] == "succeeded" and len(job["result"]) == len(doc.regions)

    async with stack.http.delete(f"{stack.url}/templates/{template_id}") as response:
        assert response.status == 200
    status, error = await stack.get(f"/templates/{template_id}")
    assert status == 404 and error["error"]["code"] == "template_not_found"
    status, error = await stack.get("/jobs/no-such-job")
    assert status == 404 and error["error"]["code"] == "job_not_found"


async def test_url_sources_and_url_priority(stack: Stack) -> None:
    doc = ticket()
    await stack.clients.s3.put_object(
        Bucket=stack.settings.bucket, Key="uploads/template.png", Body=doc.template
    )
    url = f"s3://{stack.settings.bucket}/uploads/template.png"
    # With both url and img, url wins: the img here is not even an image.
    status, body = await stack.post(
        "/custom_ocr", {"type": "add", "url": url, "img": b64(b"not an image"), "template": doc.regions}
    )
    assert status == 200, body
    status, error = await stack.post(
        "/custom_ocr",
        {"type": "add", "url": f"s3://{stack.settings.bucket}/missing.png", "template": doc.regions},
    )
    assert status == 400 and error["error"]["code"] == "image_not_found"
    status, error = await stack.post(
        "/custom_ocr", {"template_id": body["template_id"], "url": "ftp://host/a.png"}
    )
    assert status == 400 and error["error"]["code"] == "invalid_url"
    # http(s) urls are fetched too: the gateway's own OpenAPI document is no image.
    status, error = await stack.post(
        "/custom_ocr", {"template_id": body["template_id"], "url": f"{stack.url}/openapi.json"}
    )
    assert status == 400 and error["error"]["code"] == "unsupported_image_format"


@pytest.mark.skipif(not SHARED_EVAL.is_dir(), reason="../shared/eval/aws-healthcode is absent")
async def test_real_screen_jkb(stack: Stack) -> None:
    template, regions, query, expected = shared_case("jkb")
    template_id = await add_template(stack, template, regions)
    status, fields = await stack.post("/custom_ocr", {"template_id": template_id, "img": b64(query)})
    assert status == 200, fields
    read = {f["key"]: normalize(f["value"]) for f in fields}
    for key in ("日期", "状态", "核酸", "失效时间"):
        assert read[key] == normalize(str(expected[key])), (key, read[key], expected[key])


async def test_unreachable_queue_is_503_and_closes_the_job(stack: Stack) -> None:
    """A gateway whose queue does not exist: the query fails fast and its job is not left queued forever."""
    settings = stack.settings.model_copy(update={"jobs_queue": "no-such-queue", "port": free_port()})
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.port).start()
    try:
        doc = ticket()
        template_id = await add_template(stack, doc.template, doc.regions)
        url = f"http://127.0.0.1:{settings.port}/custom_ocr"
        async with stack.http.post(url, json={"template_id": template_id, "img": b64(doc.query)}) as response:
            assert response.status == 503
            assert (await response.json())["error"]["code"] == "queue_unavailable"
    finally:
        await runner.cleanup()
    jobs = await stack.clients.dynamodb.scan(TableName=stack.settings.jobs_table)
    stuck = [
        item["job_id"]["S"]
        for item in jobs["Items"]
        if item["template_id"]["S"] == template_id and item["status"]["S"] != "failed"
    ]
    assert stuck == []
    failed = [item["job_id"]["S"] for item in jobs["Items"] if item["template_id"]["S"] == template_id]
    status, job = await stack.get(f"/jobs/{failed[0]}")
    assert status == 200 and job["status"] == "failed" and job["error"]["code"] == "queue_unavailable"


class CountingStore(Store):
    """The real store over moto, counting the status reads the watcher makes (the only addition)."""

    reads = 0

    async def job_statuses(self, job_ids: list[str]) -> dict[str, JobStatus]:
        self.reads += 1
        return await super().job_statuses(job_ids)


async def test_waiting_requests_share_one_status_read_per_interval(stack: Stack) -> None:
    store = CountingStore(stack.clients, stack.settings)
    ids = [f"watch-{uuid.uuid4().hex}" for _ in range(5)]
    for job_id in ids:
        await store.create_job(
            store.new_job(
                job_id=job_id,
                template_id="t",
                source="api",
                image_bucket=store.bucket,
                image_key=f"queries/{job_id}.jpg",
                result_key=f"results/{job_id}.json",
            )
        )
    watcher = JobWatcher(store, interval_s=0.05)
    waits = [asyncio.create_task(watcher.wait(job_id, 3.0)) for job_id in ids]
    waits.append(asyncio.create_task(watcher.wait("watch-no-such-job", 0.2)))
    await asyncio.sleep(0.3)
    assert not any(w.done() for w in waits[:5])
    await store.finish_job(ids[0], JobStatus.succeeded, None)
    await store.finish_job(ids[1], JobStatus.failed, ErrorInfo(code="x", message="y"))
    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(waits[0], waits[1]), 1.0)
    assert time.monotonic() - started < 0.5
    assert waits[5].done()  # an unknown job is waited for until its timeout, then the caller reads 404
    assert not any(w.done() for w in waits[2:5])
    # six waiters over ~0.4 s of 50 ms intervals: one read per interval, not one per waiter
    assert 4 <= store.reads <= 12
    for job_id in ids[2:]:
        await store.finish_job(job_id, JobStatus.succeeded, None)
    await asyncio.wait_for(asyncio.gather(*waits[2:5]), 1.0)
    await watcher.close()

"""An image dropped under incoming/<template_id>/ is recognised: S3 event → SQS → worker → result + SNS."""

from bench.metrics import normalize
from common.store import Store
from tests.conftest import Stack
from tests.documents import b64, ticket
from worker.jobs import s3_job_id


async def test_s3_drop_runs_a_job(stack: Stack) -> None:
    doc = ticket(index=2)
    _, body = await stack.post(
        "/custom_ocr", {"type": "add", "img": b64(doc.template), "template": doc.regions}
    )
    template_id = body["template_id"]
    key = f"incoming/{template_id}/desk photo 1.jpg"
    put = await stack.clients.s3.put_object(Bucket=stack.settings.bucket, Key=key, Body=doc.query)

    result = await stack.s3_json(f"results/{key}.json")
    assert result["status"] == "succeeded" and result["template_id"] == template_id
    read = {f["key"]: normalize(f["value"]) for f in result["result"]}
    assert sum(read[k] == normalize(v) for k, v in doc.expected.items()) >= len(doc.expected) - 1, read

    job_id = s3_job_id(stack.settings.bucket, key, put["ETag"].strip('"'))
    record = await Store(stack.clients, stack.settings).get_job(job_id)
    assert record is not None and record.source == "s3" and record.status == "succeeded"
    (event,) = await stack.events.wait_for(job_id)
    assert event["source"] == "s3"
    assert event["result_location"] == f"s3://{stack.settings.bucket}/results/{key}.json"

    # The same object again (same ETag) is the same job: no second run, no second event.
    await stack.clients.s3.put_object(Bucket=stack.settings.bucket, Key=key, Body=doc.query)
    await stack.wait_queue_empty(stack.settings.jobs_queue)
    status, job = await stack.get(f"/jobs/{job_id}")
    assert status == 200 and job["finished_at"] == record.finished_at
    assert len(stack.events.by_job[job_id]) == 1


async def test_s3_drop_errors_become_result_files(stack: Stack) -> None:
    doc = ticket()
    _, body = await stack.post(
        "/custom_ocr", {"type": "add", "img": b64(doc.template), "template": doc.regions}
    )
    bucket = stack.settings.bucket
    not_an_image = f"incoming/{body['template_id']}/notes.png"
    unknown_template = "incoming/no-such-template/scan.jpg"
    await stack.clients.s3.put_object(Bucket=bucket, Key=not_an_image, Body=b"just some text")
    await stack.clients.s3.put_object(Bucket=bucket, Key=unknown_template, Body=doc.query)

    bad = await stack.s3_json(f"results/{not_an_image}.json")
    assert bad["status"] == "failed" and bad["error"]["code"] == "unsupported_image_format"
    unknown = await stack.s3_json(f"results/{unknown_template}.json")
    assert unknown["status"] == "failed" and unknown["error"]["code"] == "template_not_found"

"""S3 objects and the two DynamoDB tables (templates, jobs).

Job state only moves forward — queued → running → succeeded|failed — and each move is a conditional write,
so a duplicate delivery or a second worker can never finish a job twice.
"""

import json
import time
from typing import Any

from pydantic import BaseModel

from common.aws import AwsClients, error_code
from common.schemas import ErrorInfo, JobRecord, JobResult, JobStatus, TemplateRecord, utc_now
from common.settings import Settings

# Record fields stored as JSON strings (everything else is a flat string or number attribute).
_JSON_FIELDS = {"regions", "error"}


def _to_item(model: BaseModel) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name, value in model.model_dump(mode="json").items():
        if value is None:
            continue
        if name in _JSON_FIELDS:
            item[name] = {"S": json.dumps(value, ensure_ascii=False)}
        elif isinstance(value, bool | int | float):
            item[name] = {"N": str(int(value) if isinstance(value, bool) else value)}
        else:
            item[name] = {"S": str(value)}
    return item


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, typed in item.items():
        ((kind, raw),) = typed.items()
        if kind == "N":
            data[name] = float(raw) if "." in raw else int(raw)
        elif name in _JSON_FIELDS:
            data[name] = json.loads(raw)
        else:
            data[name] = raw
    return data


class ConditionFailed(Exception):
    """A conditional write lost: the record is not in the state the caller expected."""


class Store:
    def __init__(self, clients: AwsClients, settings: Settings) -> None:
        self._s3 = clients.s3
        self._ddb = clients.dynamodb
        self.bucket = settings.bucket
        self._templates = settings.templates_table
        self._jobs = settings.jobs_table
        self._job_ttl_s = settings.job_ttl_days * 86400

    # --- S3 ---------------------------------------------------------------------------------------

    async def put_object(self, key: str, data: bytes, content_type: str) -> None:
        await self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    async def get_object(self, key: str, bucket: str | None = None) -> bytes:
        response = await self._s3.get_object(Bucket=bucket or self.bucket, Key=key)
        async with response["Body"] as body:
            return await body.read()

    async def delete_prefix(self, prefix: str) -> None:
        paginator = self._s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                await self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})

    async def put_result(self, key: str, result: JobResult) -> None:
        body = result.model_dump_json().encode()
        await self.put_object(key, body, "application/json")

    async def get_result(self, key: str) -> JobResult:
        return JobResult.model_validate_json(await self.get_object(key))

    async def find_result(self, key: str) -> JobResult | None:
        """The result document, or None for a job that failed before any was written."""
        try:
            return await self.get_result(key)
        except Exception as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise

    # --- templates --------------------------------------------------------------------------------

    async def put_template(self, record: TemplateRecord) -> None:
        await self._ddb.put_item(TableName=self._templates, Item=_to_item(record))

    async def get_template(self, template_id: str) -> TemplateRecord | None:
        response = await self._ddb.get_item(
            TableName=self._templates, Key={"template_id": {"S": template_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return TemplateRecord.model_validate(_from_item(item)) if item else None

    async def delete_template(self, template_id: str) -> bool:
        """Delete the record and its S3 objects; False when there was no such template."""
        try:
            await self._ddb.delete_item(
                TableName=self._templates,
                Key={"template_id": {"S": template_id}},
                ConditionExpression="attribute_exists(template_id)",
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        await self.delete_prefix(f"templates/{template_id}/")
        return True

    async def list_template_ids(self) -> list[str]:
        ids: list[str] = []
        paginator = self._ddb.get_paginator("scan")
        async for page in paginator.paginate(TableName=self._templates, ProjectionExpression="template_id"):
            ids.extend(item["template_id"]["S"] for item in page.get("Items", []))
        return sorted(ids)

    # --- jobs -------------------------------------------------------------------------------------

    def new_job(
        self,
        *,
        job_id: str,
        template_id: str,
        source: str,
        image_bucket: str,
        image_key: str,
        result_key: str,
    ) -> JobRecord:
        return JobRecord(
            job_id=job_id,
            template_id=template_id,
            status=JobStatus.queued,
            source=source,  # type: ignore[arg-type]
            image_bucket=image_bucket,
            image_key=image_key,
            result_key=result_key,
            created_at=utc_now(),
            expires_at=int(time.time()) + self._job_ttl_s,
        )

    async def create_job(self, record: JobRecord) -> bool:
        """Insert a queued job; False if a job with this id already exists (a repeated S3 event)."""
        try:
            await self._ddb.put_item(
                TableName=self._jobs,
                Item=_to_item(record),
                ConditionExpression="attribute_not_exists(job_id)",
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    async def get_job(self, job_id: str) -> JobRecord | None:
        response = await self._ddb.get_item(
            TableName=self._jobs, Key={"job_id": {"S": job_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return JobRecord.model_validate(_from_item(item)) if item else None

    async def job_statuses(self, job_ids: list[str]) -> dict[str, JobStatus]:
        """Current status of up to 100 jobs in one consistent read (BatchGetItem); ids missing from the
        answer (unknown jobs, or keys DynamoDB left unprocessed under load) are simply absent."""
        response = await self._ddb.batch_get_item(
            RequestItems={
                self._jobs: {
                    "Keys": [{"job_id": {"S": job_id}} for job_id in job_ids],
                    "ConsistentRead": True,
                    "ProjectionExpression": "job_id, #s",
                    "ExpressionAttributeNames": {"#s": "status"},
                }
            }
        )
        items = response.get("Responses", {}).get(self._jobs, [])
        return {item["job_id"]["S"]: JobStatus(item["status"]["S"]) for item in items}

    async def start_job(self, job_id: str) -> JobRecord:
        """queued|running → running (again after a crashed attempt). Raises ConditionFailed if terminal."""
        return await self._update_job(
            job_id,
            "SET #s = :running, started_at = :now, attempts = if_not_exists(attempts, :zero) + :one",
            "attribute_exists(job_id) AND #s IN (:queued, :running)",
            {
                ":running": {"S": JobStatus.running.value},
                ":queued": {"S": JobStatus.queued.value},
                ":now": {"S": utc_now()},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
            },
        )

    async def finish_job(self, job_id: str, status: JobStatus, error: ErrorInfo | None) -> JobRecord:
        """queued|running → succeeded|failed, exactly once. Raises ConditionFailed if already terminal."""
        assert status.terminal
        values: dict[str, Any] = {
            ":status": {"S": status.value},
            ":now": {"S": utc_now()},
            ":queued": {"S": JobStatus.queued.value},
            ":running": {"S": JobStatus.running.value},
        }
        update = "SET #s = :status, finished_at = :now"
        if error is not None:
            update += ", #e = :error"
            values[":error"] = {"S": error.model_dump_json()}
        return await self._update_job(
            job_id,
            update,
            "attribute_exists(job_id) AND #s IN (:queued, :running)",
            values,
            {"#e": "error"} if error is not None else None,
        )

    async def mark_notified(self, job_id: str) -> None:
        await self._ddb.update_item(
            TableName=self._jobs,
            Key={"job_id": {"S": job_id}},
            UpdateExpression="SET notified_at = :now",
            ExpressionAttributeValues={":now": {"S": utc_now()}},
        )

    async def _update_job(
        self,
        job_id: str,
        update: str,
        condition: str,
        values: dict[str, Any],
        extra_names: dict[str, str] | None = None,
    ) -> JobRecord:
        try:
            response = await self._ddb.update_item(
                TableName=self._jobs,
                Key={"job_id": {"S": job_id}},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status", **(extra_names or {})},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise ConditionFailed(job_id) from exc
            raise
        return JobRecord.model_validate(_from_item(response["Attributes"]))

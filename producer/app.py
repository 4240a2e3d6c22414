"""The gateway's app factory and routes.

``POST /custom_ocr`` is the CustomOCR API (``type`` = add | del | list | query); the resource routes
(``/templates``, ``/jobs``) are the same operations in REST form.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

from common.aws import AwsClients
from common.queue import JobQueue
from common.schemas import AddTemplateRequest, JobRecord, JobStatus, QueryRequest
from common.settings import Settings
from common.store import Store
from producer.auth import OPEN_PATHS, ApiKeys
from producer.errors import ApiError, error_response, json_errors, json_response
from producer.openapi import openapi_spec
from producer.service import Gateway, JobView

GATEWAY = web.AppKey("gateway", Gateway)
CLIENTS = web.AppKey("clients", AwsClients)
SETTINGS = web.AppKey("settings", Settings)
API_KEYS = web.AppKey("api_keys", ApiKeys)

# How a failed job's error code maps to the status of a synchronous answer.
_FAILED_JOB_STATUS = {"template_not_found": 404}


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    return body


def _accepted(record: JobRecord) -> web.Response:
    return json_response(
        {"job_id": record.job_id, "status": record.status.value, "result_url": f"/jobs/{record.job_id}"},
        status=202,
    )


async def _query(request: web.Request, query: QueryRequest, wait: bool) -> web.Response:
    gateway, settings = request.app[GATEWAY], request.app[SETTINGS]
    record = await gateway.submit_query(query)
    if not wait or query.async_ or settings.sync_wait_s == 0:
        return _accepted(record)
    view = await gateway.wait_for_job(record.job_id, settings.sync_wait_s)
    return _sync_answer(view)


def _sync_answer(view: JobView) -> web.Response:
    record = view.record
    if not record.status.terminal:
        return _accepted(record)
    if record.status is JobStatus.succeeded and view.result and view.result.result is not None:
        # The body is the CustomOCR list; the header lets a client find the job (GET /jobs/{id}) for details.
        return json_response(
            [f.model_dump() for f in view.result.result], headers={"x-job-id": record.job_id}
        )
    error = (view.result.error if view.result else None) or record.error
    code = error.code if error else "job_failed"
    message = error.message if error else "the job failed"
    response = error_response(_FAILED_JOB_STATUS.get(code, 422), code, message)
    response.headers["x-job-id"] = record.job_id
    return response


# --- CustomOCR API ------------------------------------------------------------------------------------


async def custom_ocr(request: web.Request) -> web.Response:
    body = await _json_body(request)
    kind = body.get("type", "query")
    gateway = request.app[GATEWAY]
    if kind == "add":
        template_id = await gateway.add_template(AddTemplateRequest.model_validate(body))
        return json_response({"template_id": template_id})
    if kind == "del":
        template_id = body.get("template_id")
        if not isinstance(template_id, str) or not template_id:
            raise ApiError(400, "invalid_request", "template_id: required for type 'del'")
        await gateway.delete_template(template_id)
        return json_response({"template_id": template_id})
    if kind == "list":
        return json_response({"template_id_list": await gateway.list_templates()})
    if kind in ("query", None):
        return await _query(request, QueryRequest.model_validate(body), wait=True)
    raise ApiError(400, "invalid_type", f"type must be add, del, list or query, not {kind!r}")


# --- resource routes ---------------------------------------------------------------------------------


async def create_template(request: web.Request) -> web.Response:
    template_id = await request.app[GATEWAY].add_template(
        AddTemplateRequest.model_validate(await _json_body(request))
    )
    return json_response({"template_id": template_id}, status=201)


async def list_templates(request: web.Request) -> web.Response:
    return json_response({"template_id_list": await request.app[GATEWAY].list_templates()})


async def get_template(request: web.Request) -> web.Response:
    record = await request.app[GATEWAY].get_template(request.match_info["template_id"])
    return json_response(record.model_dump(mode="json"))


async def delete_template(request: web.Request) -> web.Response:
    template_id = request.match_info["template_id"]
    await request.app[GATEWAY].delete_template(template_id)
    return json_response({"template_id": template_id})


async def create_job(request: web.Request) -> web.Response:
    return await _query(request, QueryRequest.model_validate(await _json_body(request)), wait=False)


async def get_job(request: web.Request) -> web.Response:
    view = await request.app[GATEWAY].job(request.match_info["job_id"])
    return json_response(view.to_json())


# --- operations --------------------------------------------------------------------------------------


async def healthz(_: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    clients, settings = request.app[CLIENTS], request.app[SETTINGS]
    checks = {
        # A prefixed listing: what the gateway's role may do (HeadBucket would need unconditioned ListBucket).
        "s3": clients.s3.list_objects_v2(Bucket=settings.bucket, Prefix="templates/", MaxKeys=1),
        "sqs": clients.sqs.get_queue_url(QueueName=settings.jobs_queue),
        "dynamodb_templates": clients.dynamodb.describe_table(TableName=settings.templates_table),
        "dynamodb_jobs": clients.dynamodb.describe_table(TableName=settings.jobs_table),
    }
    outcomes = await asyncio.gather(*checks.values(), return_exceptions=True)
    report = {
        name: "ok" if not isinstance(outcome, BaseException) else f"error: {outcome.__class__.__name__}"
        for name, outcome in zip(checks, outcomes, strict=True)
    }
    ready = all(v == "ok" for v in report.values())
    return json_response({"ready": ready, "checks": report}, status=200 if ready else 503)


async def openapi(_: web.Request) -> web.Response:
    return json_response(openapi_spec())


@web.middleware
async def require_api_key(request: web.Request, handler: Handler) -> web.StreamResponse:
    keys = request.app.get(API_KEYS)
    if keys is None or request.path in OPEN_PATHS:
        return await handler(request)
    if not await keys.allows(request.headers.get("x-api-key", "")):
        return error_response(401, "unauthorized", "send a valid API key in the x-api-key header")
    return await handler(request)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        client_max_size=settings.max_body_mb * 1024 * 1024, middlewares=[json_errors, require_api_key]
    )
    app[SETTINGS] = settings

    async def resources(app: web.Application) -> AsyncIterator[None]:
        clients = await AwsClients.open(settings)
        timeout = aiohttp.ClientTimeout(total=settings.url_fetch_timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            app[CLIENTS] = clients
            if settings.api_keys_secret_id:
                app[API_KEYS] = ApiKeys(clients, settings.api_keys_secret_id)
            app[GATEWAY] = Gateway(
                settings, Store(clients, settings), JobQueue(clients, settings.jobs_queue), http
            )
            yield
            await app[GATEWAY].close()
        await clients.close()

    app.cleanup_ctx.append(resources)
    for path in ("/custom_ocr", "/custom-ocr"):
        app.router.add_post(path, custom_ocr)
    app.router.add_post("/templates", create_template)
    app.router.add_get("/templates", list_templates)
    app.router.add_get("/templates/{template_id}", get_template)
    app.router.add_delete("/templates/{template_id}", delete_template)
    app.router.add_post("/jobs", create_job)
    app.router.add_get("/jobs/{job_id}", get_job)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/openapi.json", openapi)
    return app

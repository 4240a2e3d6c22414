"""The OpenAPI document, built from the same pydantic models the handlers validate with."""

from functools import cache
from typing import Any

from common.schemas import AddTemplateRequest, FieldValue, QueryRequest, TemplateRecord

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_ACCEPTED = {
    "type": "object",
    "properties": {
        "job_id": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "running"]},
        "result_url": {"type": "string"},
    },
}
_JOB = {
    "type": "object",
    "properties": {
        "job_id": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
        "template_id": {"type": "string"},
        "result": {
            "oneOf": [
                {"type": "array", "items": {"$ref": "#/components/schemas/FieldValue"}},
                {"type": "null"},
            ]
        },
        "detail": {"description": "Per field: lines, box (query pixels); alignment method and confidence."},
        "error": {"oneOf": [{"$ref": "#/components/schemas/Error/properties/error"}, {"type": "null"}]},
        "created_at": {"type": "string"},
        "finished_at": {"type": ["string", "null"]},
        "source": {"type": "string", "enum": ["api", "s3"]},
    },
}
_TEMPLATE_ID = {"type": "object", "properties": {"template_id": {"type": "string"}}}
_TEMPLATE_LIST = {
    "type": "object",
    "properties": {"template_id_list": {"type": "array", "items": {"type": "string"}}},
}

# Error codes a client may see, by where they arise.
ERROR_CODES = {
    "400": "invalid_json, invalid_request, invalid_type, invalid_base64, invalid_url, image_not_found, "
    "image_fetch_failed, empty_image, unsupported_image_format, corrupt_image, "
    "image_too_large (side > 4096 px), "
    "image_too_small, region_outside_image, degenerate_region",
    "401": "unauthorized (only when API keys are configured)",
    "404": "template_not_found, job_not_found, not_found",
    "413": "body_too_large, image_too_large (bytes)",
    "422": "a query job that failed in the worker: corrupt_image, unsupported_image_format, "
    "image_too_large, ...",
    "503": "queue_unavailable: the job could not be enqueued (the job is closed as failed)",
}


def _json(schema: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"description": ERROR_CODES[code], **_json("Error")} for code in codes}


@cache
def openapi_spec() -> dict[str, Any]:
    components: dict[str, Any] = {"Error": _ERROR, "Accepted": _ACCEPTED, "Job": _JOB}
    for model in (AddTemplateRequest, QueryRequest, FieldValue, TemplateRecord):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    custom_ocr_body = {
        "oneOf": [
            {
                "allOf": [
                    {"$ref": "#/components/schemas/AddTemplateRequest"},
                    {"properties": {"type": {"const": "add"}}, "required": ["type"]},
                ]
            },
            {
                "type": "object",
                "required": ["type", "template_id"],
                "properties": {"type": {"const": "del"}, "template_id": {"type": "string"}},
            },
            {"type": "object", "required": ["type"], "properties": {"type": {"const": "list"}}},
            {
                "allOf": [
                    {"$ref": "#/components/schemas/QueryRequest"},
                    {"properties": {"type": {"enum": ["query"]}}},
                ]
            },
        ]
    }
    custom_ocr = {
        "summary": "The CustomOCR API: type add | del | list | query (type absent = query)",
        "description": "add → {template_id}; del → {template_id}; list → {template_id_list}; query → "
        "the list "
        "[{key, value, score}] when the job finishes within CUSTOMOCR_SYNC_WAIT_S (default 25 s), else 202. "
        "With both url and img, url wins. `async: true` answers 202 at once.",
        "requestBody": {"required": True, **_json(custom_ocr_body)},
        "responses": {
            "200": {
                "description": "add/del/list answer, or the query's fields",
                **_json(
                    {
                        "oneOf": [
                            _TEMPLATE_ID,
                            _TEMPLATE_LIST,
                            {"type": "array", "items": {"$ref": "#/components/schemas/FieldValue"}},
                        ]
                    }
                ),
            },
            "202": {"description": "query accepted; poll result_url", **_json("Accepted")},
            **_errors("400", "401", "404", "413", "422", "503"),
        },
    }
    paths: dict[str, Any] = {
        "/custom_ocr": {"post": custom_ocr},
        "/custom-ocr": {"post": {**custom_ocr, "summary": "Alias of /custom_ocr"}},
        "/templates": {
            "post": {
                "summary": "Register a template",
                "requestBody": {"required": True, **_json("AddTemplateRequest")},
                "responses": {
                    "201": {"description": "created", **_json(_TEMPLATE_ID)},
                    **_errors("400", "401", "413"),
                },
            },
            "get": {
                "summary": "List template ids",
                "responses": {"200": {"description": "ids", **_json(_TEMPLATE_LIST)}, **_errors("401")},
            },
        },
        "/templates/{template_id}": {
            "parameters": [
                {"name": "template_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": {
                "summary": "A template's regions and size",
                "responses": {
                    "200": {"description": "the template", **_json("TemplateRecord")},
                    **_errors("401", "404"),
                },
            },
            "delete": {
                "summary": "Delete a template",
                "responses": {
                    "200": {"description": "deleted", **_json(_TEMPLATE_ID)},
                    **_errors("401", "404"),
                },
            },
        },
        "/jobs": {
            "post": {
                "summary": "Submit a query job (always asynchronous)",
                "requestBody": {"required": True, **_json("QueryRequest")},
                "responses": {
                    "202": {"description": "queued", **_json("Accepted")},
                    **_errors("400", "401", "404", "413", "503"),
                },
            },
        },
        "/jobs/{job_id}": {
            "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "summary": "A job's status and result",
                "responses": {"200": {"description": "the job", **_json("Job")}, **_errors("401", "404")},
            },
        },
        "/healthz": {"get": {"summary": "The process is up", "responses": {"200": {"description": "ok"}}}},
        "/readyz": {
            "get": {
                "summary": "S3, SQS and DynamoDB are reachable",
                "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}},
            }
        },
        "/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "customocr",
            "version": "0.1.0",
            "description": "Custom-template OCR. Send header x-api-key when API keys are configured.",
        },
        "paths": paths,
        "components": {"schemas": components},
    }

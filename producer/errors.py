"""Every rejection is a JSON ``{"error": {"code", "message"}}`` with a 4xx status naming the problem."""

import functools
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import ValidationError

from common.images import ImageRejected

log = logging.getLogger(__name__)
_dumps = functools.partial(json.dumps, ensure_ascii=False)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with CJK text as UTF-8 rather than \\u escapes: field values are mostly Chinese."""
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def error_response(status: int, code: str, message: str) -> web.Response:
    return json_response({"error": {"code": code, "message": message}}, status=status)


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"] if p != "__root__")
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except ImageRejected as exc:
        return error_response(400, exc.code, exc.message)
    except ValidationError as exc:
        return error_response(400, "invalid_request", describe_validation_error(exc))
    except web.HTTPRequestEntityTooLarge as exc:
        return error_response(413, "body_too_large", exc.text or "the request body is too large")
    except web.HTTPException as exc:
        if exc.status >= 400:
            code = exc.reason.lower().replace(" ", "_")
            return error_response(exc.status, code, f"{exc.reason}: {request.method} {request.path}")
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "the server failed to handle this request")

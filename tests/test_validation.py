"""Bad input gets a 4xx JSON error naming the problem, and nothing is stored for it."""

from typing import Any

import cv2
import numpy as np
import pytest

from tests.conftest import Stack
from tests.documents import b64, png, ticket

QUAD = [[10, 10], [200, 10], [200, 50], [10, 50]]


def blank_png(width: int, height: int) -> bytes:
    return png(np.full((height, width, 3), 255, np.uint8))


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ({"type": "frobnicate"}, "invalid_type", "frobnicate"),
        ({"type": "add", "template": [[QUAD, "a"]]}, "invalid_request", "url"),
        ({"type": "add", "img": "%%%", "template": [[QUAD, "a"]]}, "invalid_base64", "base64"),
        (
            {"type": "add", "img": b64(b"GIF89a" + bytes(64)), "template": [[QUAD, "a"]]},
            "unsupported_image_format",
            "png",
        ),
        (
            {"type": "add", "img": b64(b"\x89PNG\r\n\x1a\n" + bytes(40)), "template": [[QUAD, "a"]]},
            "corrupt_image",
            "png",
        ),
        (
            {"type": "add", "img": b64(blank_png(4097, 16)), "template": [[QUAD, "a"]]},
            "image_too_large",
            "4096",
        ),
        (
            {"type": "add", "img": b64(blank_png(300, 100)), "template": []},
            "invalid_request",
            "at least one region",
        ),
        (
            {"type": "add", "img": b64(blank_png(300, 100)), "template": [[QUAD[:3], "a"]]},
            "invalid_request",
            "4 points",
        ),
        (
            {"type": "add", "img": b64(blank_png(300, 100)), "template": [[QUAD, " "]]},
            "invalid_request",
            "non-empty",
        ),
        (
            {"type": "add", "img": b64(blank_png(300, 100)), "template": [[QUAD, "a"], [QUAD, "a"]]},
            "invalid_request",
            "twice",
        ),
        (
            {"type": "add", "img": b64(blank_png(300, 100)), "template": [[[["x", 1]] * 4, "a"]]},
            "invalid_request",
            "numbers",
        ),
        (
            {"type": "add", "img": b64(blank_png(100, 40)), "template": [[QUAD, "a"]]},
            "region_outside_image",
            "'a'",
        ),
        (
            {"type": "add", "img": b64(blank_png(300, 100)), "template": [[[[5, 5]] * 4, "a"]]},
            "degenerate_region",
            "'a'",
        ),
        ({"type": "del"}, "invalid_request", "template_id"),
        ({"img": b64(blank_png(300, 100))}, "invalid_request", "template_id"),
    ],
)
async def test_bad_requests_are_400_with_a_named_problem(
    stack: Stack, body: dict[str, Any], code: str, fragment: str
) -> None:
    status, error = await stack.post("/custom_ocr", body)
    assert status == 400, error
    assert error["error"]["code"] == code
    assert fragment in error["error"]["message"]


async def test_not_json_and_not_an_object(stack: Stack) -> None:
    async with stack.http.post(f"{stack.url}/custom_ocr", data=b"{nope") as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "invalid_json"
    status, error = await stack.post("/custom_ocr", [1, 2])
    assert status == 400 and error["error"]["code"] == "invalid_request"


async def test_unknown_template_and_route(stack: Stack) -> None:
    status, error = await stack.post("/custom_ocr", {"template_id": "nope", "img": b64(ticket().query)})
    assert status == 404 and error["error"]["code"] == "template_not_found"
    status, error = await stack.get("/nowhere")
    assert status == 404 and error["error"]["code"] == "not_found"


async def test_oversized_body_is_413(stack: Stack) -> None:
    payload = b'{"img":"' + b"A" * (stack.settings.max_body_mb * 1024 * 1024 + 10) + b'"}'
    async with stack.http.post(f"{stack.url}/custom_ocr", data=payload) as response:
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "body_too_large"


async def test_rejected_add_stores_nothing(stack: Stack) -> None:
    _, before = await stack.post("/custom_ocr", {"type": "list"})
    status, _ = await stack.post(
        "/custom_ocr", {"type": "add", "img": b64(blank_png(100, 40)), "template": [[QUAD, "a"]]}
    )
    assert status == 400
    _, after = await stack.post("/custom_ocr", {"type": "list"})
    assert after == before


async def test_health_readiness_and_openapi(stack: Stack) -> None:
    assert await stack.get("/healthz") == (200, {"status": "ok"})
    status, ready = await stack.get("/readyz")
    assert status == 200 and ready["ready"] is True, ready
    status, spec = await stack.get("/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    routes = {
        (path, method) for path, ops in spec["paths"].items() for method in ops if method != "parameters"
    }
    assert {
        ("/custom_ocr", "post"),
        ("/templates", "post"),
        ("/jobs/{job_id}", "get"),
        ("/readyz", "get"),
    } <= routes


def test_rendered_blank_png_is_valid() -> None:
    # Guards the fixtures above: the "blank" images really decode, so only the named check can reject them.
    assert cv2.imdecode(np.frombuffer(blank_png(300, 100), np.uint8), cv2.IMREAD_COLOR).shape == (100, 300, 3)


async def test_template_that_passes_the_header_check_but_cannot_be_decoded(stack: Stack) -> None:
    # A valid PNG header over garbage: only the full decode (during template compile) can tell.
    broken = ticket().template[:200] + bytes(500)
    status, error = await stack.post(
        "/custom_ocr", {"type": "add", "img": b64(broken), "template": [[QUAD, "a"]]}
    )
    assert status == 400, error
    assert error["error"]["code"] == "corrupt_image"

"""Get the bytes of an image given as base64 ``img`` or as an http(s)/s3 ``url``."""

import base64
import binascii
from urllib.parse import urlparse

import aiohttp

from common.aws import error_code
from common.schemas import ImageSource
from common.store import Store
from producer.errors import ApiError


async def fetch_image(
    source: ImageSource, store: Store, http: aiohttp.ClientSession, max_bytes: int
) -> bytes:
    # The CustomOCR API: when both are present, url wins.
    if source.url:
        return await _fetch_url(source.url, store, http, max_bytes)
    assert source.img is not None
    return _decode_base64(source.img, max_bytes)


def _decode_base64(img: str, max_bytes: int) -> bytes:
    payload = img.split(",", 1)[1] if img.startswith("data:") else img
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "invalid_base64", "'img' is not valid base64") from exc
    if len(data) > max_bytes:
        raise ApiError(413, "image_too_large", f"the image is larger than {max_bytes} bytes")
    return data


async def _fetch_url(url: str, store: Store, http: aiohttp.ClientSession, max_bytes: int) -> bytes:
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        key = parsed.path.lstrip("/")
        if not parsed.netloc or not key:
            raise ApiError(400, "invalid_url", "an s3 url must look like s3://bucket/key")
        try:
            return await store.get_object(key, bucket=parsed.netloc)
        except Exception as exc:
            code = error_code(exc)
            if code in ("NoSuchKey", "NoSuchBucket", "404", "AccessDenied", "403"):
                raise ApiError(400, "image_not_found", f"cannot read {url}: {code}") from exc
            raise
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ApiError(400, "invalid_url", "'url' must be an http, https or s3 url")
    try:
        async with http.get(url, allow_redirects=True) as response:
            if response.status != 200:
                raise ApiError(400, "image_not_found", f"fetching {url} answered HTTP {response.status}")
            data = await response.content.read(max_bytes + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ApiError(400, "image_fetch_failed", f"cannot fetch {url}: {exc.__class__.__name__}") from exc
    if len(data) > max_bytes:
        raise ApiError(413, "image_too_large", f"the image is larger than {max_bytes} bytes")
    return data

"""Cheap checks on an uploaded image before it is stored: format by magic bytes, size from the header."""

import io
from dataclasses import dataclass

from PIL import Image

MAX_SIDE = 4096
# Smaller than this holds no readable text line.
MIN_SIDE = 8

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"BM", "bmp"),
)

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "bmp": "image/bmp"}


class ImageRejected(ValueError):
    """The bytes are not an image this service accepts; ``code`` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int


def sniff_format(data: bytes) -> str | None:
    return next((fmt for magic, fmt in _MAGIC if data.startswith(magic)), None)


def inspect_image(data: bytes) -> ImageInfo:
    """Validate ``data`` as jpg/png/bmp with the longest side ≤ 4096 px, reading only the header."""
    if not data:
        raise ImageRejected("empty_image", "the image is empty")
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageRejected("unsupported_image_format", "the image must be jpg, jpeg, png or bmp")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception as exc:  # PIL raises many types for truncated or corrupt headers
        raise ImageRejected("corrupt_image", f"the {fmt} image cannot be read: {exc}") from exc
    if max(width, height) > MAX_SIDE:
        raise ImageRejected(
            "image_too_large",
            f"the image is {width}x{height}; the longest side must be at most {MAX_SIDE} px",
        )
    if min(width, height) < MIN_SIDE:
        raise ImageRejected("image_too_small", f"the image is {width}x{height}; that is too small to read")
    return ImageInfo(fmt, width, height)

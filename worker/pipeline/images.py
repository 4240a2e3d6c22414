"""Decode image bytes into the BGR arrays the pipeline works on."""

from __future__ import annotations

import cv2
import numpy as np

# The one "not an image we can read" error of the project, raised by the gateway's header checks too.
from common.images import MIN_SIDE, ImageRejected


def decode_image(data: bytes) -> np.ndarray:
    """Decode jpg/png/bmp bytes to a BGR uint8 array, upright.

    `cv2.IMREAD_COLOR` applies the EXIF orientation tag (phone photos are often stored sideways
    with a rotation tag), drops alpha, expands grey and reduces 16-bit images to 8-bit.
    """
    if not data:
        raise ImageRejected("empty_image", "the image is empty")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageRejected("corrupt_image", "the image bytes cannot be decoded as jpg, png or bmp")
    if min(image.shape[:2]) < MIN_SIDE:
        height, width = image.shape[:2]
        raise ImageRejected("image_too_small", f"the image is {width}x{height}; too small to read")
    return image

"""CJK fonts from Debian's `fonts-noto-cjk`, found through fontconfig, or a glob when fc-match is absent."""

from __future__ import annotations

import functools
import glob
import shutil
import subprocess
from pathlib import Path
from typing import Literal

from PIL import ImageFont

FontStyle = Literal["sans", "sans-bold", "serif", "serif-bold"]

# family name inside the .ttc collection, fontconfig style, file name
_FACES: dict[FontStyle, tuple[str, str, str]] = {
    "sans": ("Noto Sans CJK SC", "Regular", "NotoSansCJK-Regular.ttc"),
    "sans-bold": ("Noto Sans CJK SC", "Bold", "NotoSansCJK-Bold.ttc"),
    "serif": ("Noto Serif CJK SC", "Regular", "NotoSerifCJK-Regular.ttc"),
    "serif-bold": ("Noto Serif CJK SC", "Bold", "NotoSerifCJK-Bold.ttc"),
}
_GLOB_ROOTS = ("/usr/share/fonts", "/usr/local/share/fonts")


class FontsMissingError(RuntimeError):
    """The Noto CJK fonts the generator renders with are not installed."""


def _fc_match(family: str, style: str, file_name: str) -> Path | None:
    if shutil.which("fc-match") is None:
        return None
    found = subprocess.run(
        ["fc-match", "-f", "%{file}", f"{family}:style={style}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    # fc-match always answers with *some* font; only accept the Noto CJK file we asked for.
    return Path(found) if found and Path(found).name == file_name else None


def _glob(file_name: str) -> Path | None:
    for root in _GLOB_ROOTS:
        hits = sorted(glob.glob(f"{root}/**/{file_name}", recursive=True))
        if hits:
            return Path(hits[0])
    return None


@functools.cache
def font_file(style: FontStyle) -> tuple[Path, int]:
    """Path of the .ttc holding `style` and the index of its Simplified-Chinese face."""
    family, fc_style, file_name = _FACES[style]
    path = _fc_match(family, fc_style, file_name) or _glob(file_name)
    if path is None:
        raise FontsMissingError(
            f"{file_name} ({family} {fc_style}) not found via fc-match or under {', '.join(_GLOB_ROOTS)}; "
            "install the Debian package fonts-noto-cjk"
        )
    index = 0
    while True:  # collections hold JP/KR/SC/TC/HK faces; their order is not guaranteed
        try:
            face = ImageFont.truetype(str(path), 16, index=index)
        except OSError:
            break
        if face.getname()[0] == family:
            return path, index
        index += 1
    raise FontsMissingError(f"{path} holds no face named {family!r}")


@functools.cache
def font(style: FontStyle, size: int) -> ImageFont.FreeTypeFont:
    path, index = font_file(style)
    return ImageFont.truetype(str(path), size, index=index)

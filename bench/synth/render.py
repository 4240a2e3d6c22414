"""Layout description and rendering: static form print, labels, and values inside their value boxes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from bench.synth.fonts import FontStyle, font
from bench.synth.values import Rng

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in layout pixels (x1, y1 exclusive)
RGB = tuple[int, int, int]
Quad = list[list[int]]
# A template region in the CustomOCR format: [[[x, y] x4], "field name"]
Region = tuple[Quad, str]
INK: RGB = (20, 20, 20)
LABEL_GAP = 10  # px between a label and its value box
VALUE_PAD = 6  # px of box kept free around a value


class LayoutOverflowError(ValueError):
    """A value does not fit its box: the layout's box or the value generator is wrong."""


@dataclass(frozen=True)
class FieldSpec:
    """One field: the value box is also the template region, so it must hold every plausible value."""

    key: str
    box: Box
    label: str | None = None
    label_at: Literal["left", "above", "above-center"] = "left"
    size: int = 28
    style: FontStyle = "sans"
    color: RGB = INK
    align: Literal["left", "center"] = "left"


Painter = Callable[[ImageDraw.ImageDraw], None]
DocumentPainter = Callable[[ImageDraw.ImageDraw, Rng, dict[str, str]], None]


@dataclass(frozen=True)
class Layout:
    name: str
    size: tuple[int, int]  # width, height
    fields: tuple[FieldSpec, ...]
    generate: Callable[[Rng], dict[str, str]]
    draw_form: Painter  # print common to every document of the layout (lines, titles, fixed text)
    draw_extras: DocumentPainter | None = None  # per-document print that is not a field (barcodes, codes)
    paper: RGB = (255, 255, 255)
    label_size: int = 22
    label_style: FontStyle = "sans"
    label_color: RGB = INK


@dataclass
class RenderedDocument:
    layout: str
    image: np.ndarray  # BGR uint8, OpenCV convention
    values: dict[str, str]
    regions: list[Region]
    value_boxes: dict[str, Box] = field(default_factory=dict)  # ink bbox of each rendered value
    label_boxes: dict[str, Box] = field(default_factory=dict)  # ink bbox of each field label


def quad(box: Box) -> Quad:
    x0, y0, x1, y1 = box
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    content: str,
    *,
    size: int,
    style: FontStyle = "sans",
    fill: RGB = INK,
    anchor: str = "la",
) -> Box:
    face = font(style, size)
    draw.text(xy, content, font=face, fill=fill, anchor=anchor)
    x0, y0, x1, y1 = draw.textbbox(xy, content, font=face, anchor=anchor)
    return int(x0), int(y0), int(x1), int(y1)


def _draw_label(draw: ImageDraw.ImageDraw, layout: Layout, spec: FieldSpec, label: str) -> Box:
    x0, y0, x1, y1 = spec.box
    kwargs = {"size": layout.label_size, "style": layout.label_style, "fill": layout.label_color}
    if spec.label_at == "left":
        return text(draw, (x0 - LABEL_GAP, (y0 + y1) / 2), label, anchor="rm", **kwargs)
    if spec.label_at == "above":
        return text(draw, (x0, y0 - LABEL_GAP), label, anchor="ld", **kwargs)
    return text(draw, ((x0 + x1) / 2, y0 - LABEL_GAP), label, anchor="md", **kwargs)


def _draw_value(draw: ImageDraw.ImageDraw, spec: FieldSpec, value: str) -> Box:
    x0, y0, x1, y1 = spec.box
    y = (y0 + y1) / 2
    if spec.align == "left":
        xy, anchor = (x0 + VALUE_PAD, y), "lm"
    else:
        xy, anchor = ((x0 + x1) / 2, y), "mm"
    ink = text(draw, xy, value, size=spec.size, style=spec.style, fill=spec.color, anchor=anchor)
    if ink[0] < x0 + VALUE_PAD or ink[2] > x1 - VALUE_PAD or ink[1] < y0 + 2 or ink[3] > y1 - 2:
        raise LayoutOverflowError(f"{spec.key}={value!r} ink {ink} does not fit box {spec.box}")
    return ink


def render(layout: Layout, values: dict[str, str], rng: Rng) -> RenderedDocument:
    """Render one document of `layout` showing `values`; `rng` drives only per-document extras."""
    missing = {spec.key for spec in layout.fields} - values.keys()
    if missing:
        raise ValueError(f"{layout.name}: no value for {sorted(missing)}")
    page = Image.new("RGB", layout.size, layout.paper)
    draw = ImageDraw.Draw(page)
    layout.draw_form(draw)
    if layout.draw_extras is not None:
        layout.draw_extras(draw, rng, values)
    doc = RenderedDocument(
        layout=layout.name,
        image=np.empty(0, np.uint8),
        values={spec.key: values[spec.key] for spec in layout.fields},
        regions=[(quad(spec.box), spec.key) for spec in layout.fields],
    )
    for spec in layout.fields:
        if spec.label is not None:
            doc.label_boxes[spec.key] = _draw_label(draw, layout, spec, spec.label)
        doc.value_boxes[spec.key] = _draw_value(draw, spec, values[spec.key])
    doc.image = np.ascontiguousarray(np.asarray(page)[:, :, ::-1])
    return doc


def make_document(layout: Layout, rng: Rng) -> RenderedDocument:
    return render(layout, layout.generate(rng), rng)

"""Pure template-OCR pipeline (no AWS imports): align a query to its template, read the regions.

Importing this package does not load Paddle; `TemplateReader(config)` does.
"""

from .compile import compile_template
from .config import EngineConfig
from .images import ImageRejected, decode_image
from .pipeline import TemplateReader, draw_overlay, field_score
from .schemas import AlignmentInfo, FieldResult, ReadError, ReadResult, Region, TemplateData

__all__ = [
    "AlignmentInfo",
    "EngineConfig",
    "FieldResult",
    "ImageRejected",
    "ReadError",
    "ReadResult",
    "Region",
    "TemplateData",
    "TemplateReader",
    "compile_template",
    "decode_image",
    "draw_overlay",
    "field_score",
]

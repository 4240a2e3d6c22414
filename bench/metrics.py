"""Field accuracy metrics: normalisation, exact match and character error rate."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def normalize(text: str) -> str:
    """NFKC (which also folds full-width ASCII and the ideographic space to half-width), then drop all
    whitespace: `" ＡＢ１ ：２ "` -> `"AB1:2"`."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def exact_match(predicted: str, truth: str) -> bool:
    return normalize(predicted) == normalize(truth)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def char_errors(predicted: str, truth: str) -> tuple[int, int]:
    """(edit distance, length of truth) after normalisation: the two sums a corpus CER is made of."""
    predicted, truth = normalize(predicted), normalize(truth)
    return edit_distance(predicted, truth), len(truth)


def cer(predicted: str, truth: str) -> float:
    """Character error rate of one field: edit distance / len(truth), normalised. An empty truth scores
    0.0 when the prediction is empty too and 1.0 otherwise (any text there is wholly wrong)."""
    errors, length = char_errors(predicted, truth)
    if length == 0:
        return 0.0 if errors == 0 else 1.0
    return errors / length


def corpus_cer(pairs: Iterable[tuple[str, str]]) -> float:
    """Character error rate over many (predicted, truth) fields: total edits / total truth characters."""
    errors = length = 0
    for predicted, truth in pairs:
        field_errors, field_length = char_errors(predicted, truth)
        errors += field_errors
        length += field_length
    return errors / length if length else 0.0

"""Accuracy metrics used by bench/accuracy.py."""

from __future__ import annotations

import pytest

from bench.metrics import cer, corpus_cer, edit_distance, exact_match, normalize


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("ＡＢＣ１２３", "ABC123"),  # full-width letters and digits
        ("（小写）￥１２．５０", "(小写)¥12.50"),  # full-width brackets, yen sign, full stop
        ("北京 市\u3000海淀区\t1号\n", "北京市海淀区1号"),  # ASCII, ideographic and control whitespace
        ("2022年06月06日", "2022年06月06日"),  # CJK is left alone
        ("ｶﾀｶﾅ", "カタカナ"),  # half-width katakana widen under NFKC
        ("①", "1"),
        ("", ""),
    ],
)
def test_normalize(raw: str, normal: str) -> None:
    assert normalize(raw) == normal


def test_exact_match_ignores_width_and_spacing_only() -> None:
    assert exact_match("06-06 14:26", "06-0614:26")
    assert exact_match("１３４＊＊＊＊", "134****")
    assert not exact_match("06-06 14:26", "06-06 14:28")
    assert not exact_match("阴性", "阳性")
    assert not exact_match("", "阴性")
    assert exact_match("", " ")


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("上海市浦东新区", "上海浦东新区", 1),
        ("ab", "ba", 2),
        ("flaw", "lawn", 2),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_cer_edges() -> None:
    assert cer("2022.06.09", "2022.06.09") == 0.0
    assert cer("2O22.06.09", "2022.06.09") == pytest.approx(0.1)
    assert cer("", "阴性") == 1.0
    assert cer("阴性阴性阴性", "阴性") == 2.0  # insertions can push CER above 1
    assert cer("", "") == 0.0
    assert cer("x", "　") == 1.0  # the truth normalises to empty
    assert cer("ＡＢ", "AB") == 0.0


def test_corpus_cer_weights_by_truth_length() -> None:
    pairs = [("abcd", "abcd"), ("", "ab"), ("x", "y")]
    assert corpus_cer(pairs) == pytest.approx((0 + 2 + 1) / (4 + 2 + 1))
    assert corpus_cer([]) == 0.0

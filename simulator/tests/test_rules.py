"""Flowroute's rules as the simulator applies them: numbers, encoding, prices, keywords."""

from __future__ import annotations

import pytest

from simulator.rules import (
    Encoding,
    OptKeyword,
    body_encoding,
    count_segments,
    number_problem,
    opt_keyword,
    price_nanodollars,
)


@pytest.mark.parametrize("number", ["12065550100", "447700900123", "33612345678", "4791234567"])
def test_valid_numbers(number: str) -> None:
    assert number_problem(number) is None


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("+12065550100", "must not start with '+'"),
        ("2065550100", "need the leading 1"),
        ("1206555010", "11 digits"),
        ("11065550100", "start with 2-9"),
        ("12061550100", "start with 2-9"),
        ("1206-555-0100", "digits only"),
        ("\uff11\uff12\uff10\uff16\uff15\uff15\uff15\uff10\uff11\uff10\uff10", "digits only"),
        ("0447700900", "country code"),
        ("4477009", "8 to 15 digits"),
        (12065550100, "string of digits"),
    ],
)
def test_invalid_numbers(number: object, problem: str) -> None:
    assert problem in (number_problem(number) or "")


@pytest.mark.parametrize(
    ("body", "encoding", "segments"),
    [
        ("", Encoding.GSM7, 0),
        ("a" * 160, Encoding.GSM7, 1),
        ("a" * 161, Encoding.GSM7, 2),
        ("a" * 280, Encoding.GSM7, 2),
        ("a" * 281, Encoding.GSM7, 3),
        ("é" * 70, Encoding.UCS2, 1),
        ("é" * 71, Encoding.UCS2, 2),
        ("“quoted”", Encoding.UCS2, 1),
        ("😀" * 35, Encoding.UCS2, 1),  # two UTF-16 units each
        ("😀" * 36, Encoding.UCS2, 2),
    ],
)
def test_encoding_and_segments(body: str, encoding: Encoding, segments: int) -> None:
    assert body_encoding(body) is encoding
    assert count_segments(body) == segments


def test_prices() -> None:
    assert price_nanodollars(is_mms=False, segments=1) == 4_000_000
    assert price_nanodollars(is_mms=False, segments=3) == 12_000_000
    assert price_nanodollars(is_mms=True, segments=5) == 19_500_000
    assert Encoding.GSM7.code == 0
    assert Encoding.UCS2.code == 8


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", OptKeyword.OPT_OUT),
        ("  stop\n", OptKeyword.OPT_OUT),
        ("Stop", OptKeyword.OPT_OUT),
        ("UNSTOP", OptKeyword.OPT_IN),
        ("start", OptKeyword.OPT_IN),
        ("stop it please", None),
        ("STOPALL", None),
        ("", None),
        (None, None),
    ],
)
def test_opt_keywords(body: str | None, keyword: OptKeyword | None) -> None:
    assert opt_keyword(body) is keyword

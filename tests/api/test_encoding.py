"""SMS encoding and segment counts, by Flowroute's documented rules."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.flowroute.api import Encoding, count_segments, sms_encoding

EMOJI = "\U0001f6aa"  # door: outside the BMP, two UTF-16 code units


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        ("Garage door is open", Encoding.GSM7),
        ("", Encoding.GSM7),
        ("{[~^|]}\\`", Encoding.GSM7),  # ASCII, though not all of it is in GSM's basic table
        ("Caf\u00e9", Encoding.UCS2),
        ("\u201csmart quotes\u201d", Encoding.UCS2),
        (f"Door {EMOJI}", Encoding.UCS2),
    ],
)
def test_encoding(body: str, encoding: Encoding) -> None:
    assert sms_encoding(body) is encoding


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 280, 2),
        ("a" * 281, 3),
        ("a" * 1400, 10),
        ("\u00e9", 1),
        ("\u00e9" * 70, 1),
        ("\u00e9" * 71, 2),
        ("\u00e9" * 140, 2),
        ("\u00e9" * 141, 3),
        ("a" * 69 + "\u00e9", 1),  # one non-ASCII character makes all 70 UCS-2
        ("a" * 70 + "\u00e9", 2),
        (EMOJI * 35, 1),  # 70 code units
        (EMOJI * 35 + "a", 2),
        ("a" * 69 + EMOJI, 2),  # 71 code units
    ],
)
def test_count_segments(body: str, segments: int) -> None:
    assert count_segments(body) == segments


def test_encoding_values_are_what_the_integration_reports() -> None:
    assert [encoding.value for encoding in Encoding] == ["GSM-7", "UCS-2"]


@settings(max_examples=300, deadline=None, database=None)
@given(body=st.text(max_size=400))
def test_segments_grow_with_the_body(body: str) -> None:
    segments = count_segments(body)

    assert (segments == 0) == (body == "")
    assert count_segments(body + "a") >= segments

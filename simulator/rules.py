"""Flowroute's message rules: number format, encoding, segments, prices and keywords."""

from __future__ import annotations

import math
from enum import StrEnum

NANP_DIGITS = 11
E164_MIN_DIGITS = 8
E164_MAX_DIGITS = 15
SMS_NANODOLLARS = 4_000_000  # $0.0040 per segment
MMS_NANODOLLARS = 19_500_000  # $0.0195 per message
GSM_SINGLE_SEGMENT = 160
GSM_PER_SEGMENT = 140  # the reference documents 140 characters per segment once split
UCS2_PER_SEGMENT = 70
_SEPARATORS = frozenset(" -.()")


class Encoding(StrEnum):
    """How a body travels: ASCII-only bodies as GSM-7, anything else as UCS-2."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"

    @property
    def code(self) -> int:
        """The `message_encoding` value of Flowroute payloads (SMPP data coding)."""
        return 0 if self is Encoding.GSM7 else 8


class OptKeyword(StrEnum):
    """What a single-word inbound text does to the sender's opt-out for that number."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


OPT_OUT_WORDS = frozenset({"STOP"})
OPT_IN_WORDS = frozenset({"UNSTOP", "START"})


def number_problem(value: object) -> str | None:
    """Say why `value` is not a v2.1 number (11-digit NANP, or E.164 digits without plus)."""
    if not isinstance(value, str):
        return "must be a string of digits"
    if value.startswith("+"):
        return "must not start with '+': v2.1 numbers are digits only"
    if not (value.isascii() and value.isdigit()):
        return "must contain digits only"
    if value.startswith("1"):
        return _nanp_problem(value)
    return _international_problem(value)


def parse_number(text: str) -> str:
    """Read a number as people type it ("+1 (206) 555-0100", "206 555 0100") as v2.1 digits.

    Without a "+", ten digits are a North American number missing its leading 1. Raises
    ValueError saying what is wrong.
    """
    cleaned = "".join(char for char in text.strip() if char not in _SEPARATORS)
    digits = cleaned.removeprefix("+")
    if len(digits) == NANP_DIGITS - 1 and not cleaned.startswith("+"):
        digits = "1" + digits
    if problem := number_problem(digits):
        raise ValueError(f"number {text[:40]!r} {problem}")
    return digits


def display_number(number: str) -> str:
    """Write a v2.1 number for people: "+1 206 555 0100", or "+" and the digits elsewhere."""
    if number_problem(number) is not None:
        return number
    if len(number) == NANP_DIGITS and number.startswith("1"):
        return f"+1 {number[1:4]} {number[4:7]} {number[7:]}"
    return f"+{number}"


def _nanp_problem(value: str) -> str | None:
    if len(value) != NANP_DIGITS:
        return "North American numbers have 11 digits (1, area code, number)"
    if value[1] in "01" or value[4] in "01":
        return "North American area codes and exchanges start with 2-9"
    return None


def _international_problem(value: str) -> str | None:
    # A NANP-shaped 10-digit number is almost always a forgotten leading 1.
    if len(value) == NANP_DIGITS - 1 and value[0] not in "01" and value[3] not in "01":
        return "10 digits: North American numbers need the leading 1"
    if value.startswith("0"):
        return "must start with a country code, not 0"
    if not E164_MIN_DIGITS <= len(value) <= E164_MAX_DIGITS:
        return "international numbers have 8 to 15 digits"
    return None


def body_encoding(body: str) -> Encoding:
    """Return the encoding Flowroute uses for `body`."""
    return Encoding.GSM7 if body.isascii() else Encoding.UCS2


def count_segments(body: str) -> int:
    """Count the SMS segments of `body` (0 for an empty body)."""
    if not body:
        return 0
    if body_encoding(body) is Encoding.GSM7:
        if len(body) <= GSM_SINGLE_SEGMENT:
            return 1
        return math.ceil(len(body) / GSM_PER_SEGMENT)
    units = len(body.encode("utf-16-le")) // 2  # characters outside the BMP take two units
    return math.ceil(units / UCS2_PER_SEGMENT)


def price_nanodollars(*, is_mms: bool, segments: int) -> int:
    """Price of one message: MMS is flat, SMS is per segment."""
    if is_mms:
        return MMS_NANODOLLARS
    return SMS_NANODOLLARS * max(segments, 1)


def opt_keyword(body: str | None) -> OptKeyword | None:
    """Classify a single-word, trimmed, case-insensitive STOP / UNSTOP / START."""
    word = (body or "").strip().upper()
    if word in OPT_OUT_WORDS:
        return OptKeyword.OPT_OUT
    if word in OPT_IN_WORDS:
        return OptKeyword.OPT_IN
    return None

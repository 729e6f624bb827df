"""SMS encoding and segment counts, following Flowroute's documented rules literally."""

from enum import StrEnum
from math import ceil

_GSM7_SINGLE = 160
_GSM7_PER_SEGMENT = 140
_UCS2_PER_SEGMENT = 70


class Encoding(StrEnum):
    """How a text body travels: 7-bit GSM or UCS-2 (UTF-16)."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


def sms_encoding(body: str) -> Encoding:
    """Return GSM-7 for a pure ASCII body; any other character makes it all UCS-2."""
    return Encoding.GSM7 if body.isascii() else Encoding.UCS2


def count_segments(body: str) -> int:
    """Return how many SMS segments the body costs (0 for an empty body)."""
    if not body:
        return 0
    if sms_encoding(body) is Encoding.GSM7:
        return 1 if len(body) <= _GSM7_SINGLE else ceil(len(body) / _GSM7_PER_SEGMENT)
    # Characters outside the BMP (most emoji) take two UTF-16 code units.
    units = len(body.encode("utf-16-le", "surrogatepass")) // 2
    return ceil(units / _UCS2_PER_SEGMENT)

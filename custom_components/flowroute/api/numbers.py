"""Phone numbers: what people type, turned into Flowroute's v2.1 form and back."""

import re
import unicodedata

from .errors import InvalidPhoneNumberError

_DIGITS = frozenset("0123456789")
_SEPARATORS = frozenset(" -./()")
# "x12", "ext. 12", "#12", ";12", ",12" (pause dialing) at the end of the number.
_EXTENSION = re.compile(r"(?:(?:ext\.?|x)\s*|[#;,]\s*)\d*$", re.IGNORECASE)
_INTERNATIONAL_PREFIXES = ("011", "00")
_E164_MIN_DIGITS = 8
_E164_MAX_DIGITS = 15
_NANP_DIGITS = 10


def normalize_number(text: str) -> str:
    """Return the number as Flowroute v2.1 wants it: digits with the country code, no plus.

    Without a "+", "00" or "011" prefix a number is North American (NANP); other
    countries need one of those prefixes so that a mistyped NANP number is not
    silently taken for a foreign one.
    """
    has_plus, digits = _digits(text)
    if has_plus:
        return _international(text, digits)
    for prefix in _INTERNATIONAL_PREFIXES:
        if digits.startswith(prefix):
            return _international(text, digits.removeprefix(prefix))
    if len(digits) == _NANP_DIGITS + 1 and digits.startswith("1"):
        return _nanp(text, digits[1:])
    if len(digits) == _NANP_DIGITS:
        return _nanp(text, digits)
    raise _invalid(
        text,
        f"it has {len(digits)} digits; North American numbers have 10 (11 with the leading 1)"
        " and other countries need +, 00 or 011 and the country code",
    )


def canonical_number(digits: str) -> str:
    """Return a number Flowroute posted (digits only) in the form Home Assistant keeps.

    Callbacks carry 11-digit North American numbers, but a 10-digit one (no leading 1)
    is the same phone: comparisons (the opt-out list above all) must not tell them apart.
    Anything else is already in v2.1 form and comes back unchanged.
    """
    if len(digits) == _NANP_DIGITS and digits.isdigit() and digits[0] not in "01":
        return f"1{digits}"
    return digits


def format_number(number: str) -> str:
    """Return a normalised number written for people: "+1 206 555 0100" or "+<digits>"."""
    digits = number.removeprefix("+")
    if len(digits) == _NANP_DIGITS + 1 and digits.startswith("1"):
        return f"+1 {digits[1:4]} {digits[4:7]} {digits[7:]}"
    return f"+{digits}"


def _digits(text: str) -> tuple[bool, str]:
    """Return whether the number starts with "+" and its digits, refusing anything else."""
    # NFKC turns full-width digits, pluses and brackets (and odd spaces) into ASCII.
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        raise _invalid(text, "it is empty")
    if _EXTENSION.search(cleaned):
        raise _invalid(text, "extensions are not supported")
    if any(char.isalpha() for char in cleaned):
        raise _invalid(text, "it contains letters")
    rest = cleaned.removeprefix("+")
    for char in rest:
        if char not in _DIGITS and char not in _SEPARATORS:
            raise _invalid(text, f"{char!r} is not allowed in a phone number")
    digits = "".join(char for char in rest if char in _DIGITS)
    if not digits:
        raise _invalid(text, "it contains no digits")
    return cleaned.startswith("+"), digits


def _international(text: str, digits: str) -> str:
    """Validate digits that start with the country code."""
    if digits.startswith("1"):
        return _nanp(text, digits[1:])
    if digits.startswith("0"):
        raise _invalid(text, "country codes do not start with 0")
    if not _E164_MIN_DIGITS <= len(digits) <= _E164_MAX_DIGITS:
        raise _invalid(
            text,
            f"international numbers have {_E164_MIN_DIGITS} to {_E164_MAX_DIGITS} digits"
            f" with the country code, this one has {len(digits)}",
        )
    return digits


def _nanp(text: str, national: str) -> str:
    """Validate a North American number given without its country code 1."""
    if len(national) != _NANP_DIGITS:
        raise _invalid(
            text,
            f"North American numbers have 10 digits after the country code 1,"
            f" this one has {len(national)}",
        )
    if national[0] in "01":
        raise _invalid(text, "the area code cannot start with 0 or 1")
    if national[3] in "01":
        raise _invalid(
            text, "the exchange (the three digits after the area code) cannot start with 0 or 1"
        )
    return f"1{national}"


def _invalid(text: str, reason: str) -> InvalidPhoneNumberError:
    return InvalidPhoneNumberError(f"{text!r} is not a valid phone number: {reason}")

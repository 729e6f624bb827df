"""Phone number normalisation and formatting."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.flowroute.api import (
    InvalidPhoneNumberError,
    canonical_number,
    format_number,
    normalize_number,
)


@pytest.mark.parametrize(
    "text",
    [
        "+1 (206) 555-1234",
        "206-555-1234",
        "206.555.1234",
        "(206) 555 1234",
        "1-206-555-1234",
        "2065551234",
        "12065551234",
        "+12065551234",
        "  206 555 1234\t",
        "２０６５５５１２３４",  # full-width digits  # noqa: RUF001
        "＋１ (２０６) ５５５-１２３４",  # full-width plus too  # noqa: RUF001
        "206/555-1234",
        "001 206 555 1234",
        "011 1 206 555 1234",
        "206\u00a0555\u00a01234",  # no-break spaces
    ],
)
def test_nanp_variants(text: str) -> None:
    assert normalize_number(text) == "12065551234"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+44 7700 900123", "447700900123"),
        ("0044 7700 900123", "447700900123"),
        ("011 44 7700 900123", "447700900123"),
        ("+49 30 123456", "4930123456"),
        ("+33 1 23 45 67 89", "33123456789"),
        ("+20 65 551 234", "2065551234"),  # with "+", ten digits are Egypt, not Seattle
        ("+372 5123 4", "37251234"),  # the shortest: 8 digits
        ("+998 123 456 789 012", "998123456789012"),  # the longest: 15 digits
    ],
)
def test_international_numbers(text: str, expected: str) -> None:
    assert normalize_number(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("1-800-FLOWERS", "it contains letters"),
        ("call me", "it contains letters"),
        ("206-555-1234 x12", "extensions are not supported"),
        ("206-555-1234 ext. 12", "extensions are not supported"),
        ("206-555-1234#12", "extensions are not supported"),
        ("206-555-1234;12", "extensions are not supported"),
        ("206-555-1234,12", "extensions are not supported"),
        ("206*555*1234", "'\\*' is not allowed"),
        ("1+206-555-1234", "'\\+' is not allowed"),
        ("++12065551234", "'\\+' is not allowed"),
        ("()-", "it contains no digits"),
        ("+", "it contains no digits"),
        ("555-1234", "it has 7 digits; North American numbers have 10"),
        ("22065551234", "it has 11 digits"),
        ("120655512345", "it has 12 digits"),
        ("106-555-1234", "the area code cannot start with 0 or 1"),
        ("1-006-555-1234", "the area code cannot start with 0 or 1"),
        ("206-155-1234", "the exchange .* cannot start with 0 or 1"),
        ("+1 206 555 123", "10 digits after the country code 1, this one has 9"),
        ("+1 206 555 12345", "10 digits after the country code 1, this one has 11"),
        ("+44 1234", "international numbers have 8 to 15 digits .* this one has 6"),
        ("+44 1234 5678 9012 34", "this one has 16"),
        ("00 0 1234 5678", "country codes do not start with 0"),
        ("+0 206 555 1234", "country codes do not start with 0"),
    ],
)
def test_invalid_numbers_say_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidPhoneNumberError, match=reason) as caught:
        normalize_number(text)

    assert str(caught.value).startswith(f"{text!r} is not a valid phone number: ")
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("12065550100", "+1 206 555 0100"),
        ("+12065550100", "+1 206 555 0100"),
        ("447700900123", "+447700900123"),
        ("4930123456", "+4930123456"),
    ],
)
def test_format_number(number: str, expected: str) -> None:
    assert format_number(number) == expected


@settings(max_examples=300, deadline=None, database=None)
@given(text=st.text(max_size=30))
def test_normalize_number_refuses_only_with_its_own_error(text: str) -> None:
    try:
        number = normalize_number(text)
    except InvalidPhoneNumberError:
        return
    assert number.isdigit()
    assert number.isascii()
    assert 8 <= len(number) <= 15
    assert normalize_number(format_number(number)) == number


@settings(max_examples=200, deadline=None, database=None)
@given(
    area=st.from_regex(r"[2-9][0-9]{2}", fullmatch=True),
    exchange=st.from_regex(r"[2-9][0-9]{2}", fullmatch=True),
    line=st.from_regex(r"[0-9]{4}", fullmatch=True),
    style=st.sampled_from(["+1 ({a}) {e}-{l}", "{a}-{e}-{l}", "1{a}{e}{l}", "{a}.{e}.{l}"]),
)
def test_every_nanp_number_normalises(area: str, exchange: str, line: str, style: str) -> None:
    text = style.format(a=area, e=exchange, l=line)

    number = normalize_number(text)

    assert number == f"1{area}{exchange}{line}"
    assert format_number(number) == f"+1 {area} {exchange} {line}"


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("12065550100", "12065550100"),
        ("2065550100", "12065550100"),  # a callback without the leading 1
        ("447700900123", "447700900123"),
        ("1065550100", "1065550100"),  # not a NANP area code: left alone
        ("55555", "55555"),  # a short code
    ],
)
def test_canonical_number(digits: str, expected: str) -> None:
    assert canonical_number(digits) == expected

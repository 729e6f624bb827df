"""Payload parsers: every documented variant, tolerated quirks and refused shapes."""

import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.flowroute.api import (
    MAX_MEDIA_ITEMS,
    DeliveryReceipt,
    DeliveryState,
    ErrorDetail,
    InboundMessage,
    MediaItem,
    MessageRecord,
    PayloadError,
    PhoneNumber,
    parse_callback,
    parse_json,
    parse_message_record,
    parsers,
)
from custom_components.flowroute.api.parsers import (
    Page,
    parse_errors,
    parse_messages_page,
    parse_numbers_page,
    parse_sent_message,
)

from . import payloads
from .payloads import (
    ABSENT,
    INBOUND_MMS,
    INBOUND_MMS_WITH_PARTS,
    INBOUND_SMS,
    LEGACY_INBOUND,
    LEGACY_RECEIPT,
    MESSAGE_RECORD,
    NUMBERS_PAGE,
    RECEIPT_LEVEL_1,
    RECEIPT_LEVEL_2,
    SEND_ACCEPTED,
    VALID_CALLBACKS,
)


def with_attributes(payload: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Return a copy of a v2.1 payload with some attributes changed."""
    changed = copy.deepcopy(payload)
    changed["data"]["attributes"].update(changes)
    return changed


def test_inbound_sms() -> None:
    assert parse_callback(INBOUND_SMS) == InboundMessage(
        message_id="mdr2-0c3f...",
        from_number="12065550100",
        to_number="12065550199",
        body="Hello",
        timestamp=datetime(2026, 11, 2, 18, 22, 41, 520000, tzinfo=UTC),
        amount_nanodollars=4000000,
        message_encoding=0,
    )


def test_inbound_mms() -> None:
    assert parse_callback(INBOUND_MMS) == InboundMessage(
        message_id="mdr2-...",
        from_number="12065550100",
        to_number="12065550199",
        body="",
        is_mms=True,
        media=(
            MediaItem(
                url="https://<temporary storage>/...",
                mime_type="image/jpeg",
                file_name="IMG_0001.jpg",
                file_size=48213,
            ),
        ),
        timestamp=datetime(2026, 11, 2, 18, 25, 3, tzinfo=UTC),
        amount_nanodollars=19500000,
        message_encoding=0,
    )


def test_inbound_mms_keeps_related_media_without_smil() -> None:
    message = parse_callback(INBOUND_MMS_WITH_PARTS)

    assert isinstance(message, InboundMessage)
    assert message.body == "Look"
    assert message.media == (
        MediaItem(
            url="https://s/IMG_0002.png",
            mime_type="image/png",
            file_name="IMG_0002.png",
            file_size=1200,
        ),
        MediaItem(url="https://s/text_0.txt", mime_type="text/plain"),
    )


def test_inbound_mms_without_relationships_takes_every_media_entry() -> None:
    payload = copy.deepcopy(INBOUND_MMS_WITH_PARTS)
    del payload["data"]["relationships"]

    message = parse_callback(payload)

    assert isinstance(message, InboundMessage)
    assert [item.url for item in message.media] == [
        "https://s/IMG_0002.png",
        "https://s/text_0.txt",
        "https://s/other-message.jpg",
    ]


def test_inbound_mms_skips_media_without_url_and_odd_ids() -> None:
    payload = copy.deepcopy(INBOUND_MMS)
    payload["data"]["relationships"]["media"]["data"].append({"id": 7, "type": "media"})
    payload["included"] += [
        {"id": "m-1", "type": "media", "attributes": {"mime_type": "image/gif"}},
        {"id": ["m-1"], "type": "media", "attributes": {"url": "https://s/list-id"}},
        {"id": 7, "type": "media", "attributes": {"url": "https://s/int-id"}},
        "not an object",
    ]

    message = parse_callback(payload)

    assert isinstance(message, InboundMessage)
    assert [item.url for item in message.media] == ["https://<temporary storage>/..."]


def test_mms_media_urls_attribute_is_the_fallback() -> None:
    payload = with_attributes(INBOUND_SMS, is_mms="true", media_urls=["https://s/a.jpg", 3, ""])

    message = parse_callback(payload)

    assert isinstance(message, InboundMessage)
    assert message.is_mms
    assert message.media == (MediaItem(url="https://s/a.jpg"),)


def test_legacy_flat_inbound() -> None:
    assert parse_callback(LEGACY_INBOUND) == InboundMessage(
        message_id="mdr2-0c3f...",
        from_number="12065550100",
        to_number="12065550199",
        body="Hello",
        legacy=True,
    )


def test_legacy_flat_inbound_mms() -> None:
    payload = {**LEGACY_INBOUND, "body": None, "media_urls": ["https://s/a.jpg"], "is_mms": True}

    message = parse_callback(payload)

    assert isinstance(message, InboundMessage)
    assert (message.body, message.is_mms, message.legacy) == ("", True, True)
    assert message.media == (MediaItem(url="https://s/a.jpg"),)


def test_receipt_level_2() -> None:
    receipt = parse_callback(RECEIPT_LEVEL_2)

    assert receipt == DeliveryReceipt(
        message_id="mdr2-39cadeace66e11e7aff806cd7f24ba2d",
        level=2,
        status="delivery success",
        status_code=1004,
        status_description="Message delivered to handset",
        timestamp=datetime(2026, 11, 2, 18, 22, 44, tzinfo=UTC),
        body="Garage door is open",
    )
    assert isinstance(receipt, DeliveryReceipt)
    assert receipt.outcome is DeliveryState.DELIVERED


def test_receipt_level_1() -> None:
    receipt = parse_callback(RECEIPT_LEVEL_1)

    assert isinstance(receipt, DeliveryReceipt)
    assert (receipt.level, receipt.status, receipt.status_code) == (1, "smsc submit", None)
    assert receipt.status_description is None
    assert receipt.outcome is DeliveryState.SENT


def test_legacy_receipt() -> None:
    receipt = parse_callback(LEGACY_RECEIPT)

    assert receipt == DeliveryReceipt(
        message_id="mdr1-14bdef7399f14a42a4f4715182451fe7",
        status="delivered",
        status_code=1003,
        from_number="18551231234",
        to_number="19144401234",
        body="hello there",
        legacy=True,
    )
    assert isinstance(receipt, DeliveryReceipt)
    assert receipt.outcome is DeliveryState.DELIVERED


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        ("sent", None, DeliveryState.SENT),
        ("smsc submit", 1001, DeliveryState.SENT),
        ("smsc intermediate notifications", 1002, DeliveryState.SENT),
        ("message buffered", 1003, DeliveryState.SENT),
        ("smsc submit", 0, DeliveryState.SENT),
        ("something new", None, DeliveryState.SENT),
        ("", None, DeliveryState.SENT),
        ("delivery success", 1004, DeliveryState.DELIVERED),
        ("Delivered", None, DeliveryState.DELIVERED),
        ("", 1004, DeliveryState.DELIVERED),
        ("undelivered", 1103, DeliveryState.FAILED),
        ("delivery failure", None, DeliveryState.FAILED),
        ("smsc reject", None, DeliveryState.FAILED),
        ("rejected", None, DeliveryState.FAILED),
        ("expired", None, DeliveryState.FAILED),
        ("failed", None, DeliveryState.FAILED),
        ("", 1005, DeliveryState.FAILED),
        ("", 1008, DeliveryState.FAILED),
        ("", 1100, DeliveryState.FAILED),
        ("delivery failure", 1116, DeliveryState.FAILED),
        ("", 1299, DeliveryState.FAILED),
        ("", 1300, DeliveryState.SENT),
        ("undelivered", 1110, DeliveryState.OPTED_OUT),
        ("delivery failure", 1110, DeliveryState.OPTED_OUT),
    ],
)
def test_receipt_outcome(status: str, code: int | None, outcome: DeliveryState) -> None:
    receipt = DeliveryReceipt(message_id="mdr2-1", status=status, status_code=code)

    assert receipt.outcome is outcome


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1103, 1103), ("1103", 1103), (" 1103 ", 1103), (None, None), ("n/a", None), (11.0, None)],
)
def test_receipt_status_code_int_str_or_null(value: object, expected: int | None) -> None:
    receipt = parse_callback(with_attributes(RECEIPT_LEVEL_2, status_code=value, level="2"))

    assert isinstance(receipt, DeliveryReceipt)
    assert receipt.status_code == expected
    assert receipt.level == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4000000", 4000000),
        (4000000, 4000000),
        (None, None),
        ("$0.004", None),
        (True, None),
        (10**30, None),
        ("9" * 40, None),
    ],
)
def test_amount_int_str_or_null(value: object, expected: int | None) -> None:
    message = parse_callback(with_attributes(INBOUND_SMS, amount_nanodollars=value))

    assert isinstance(message, InboundMessage)
    assert message.amount_nanodollars == expected


def test_numbers_as_json_numbers_and_null_body() -> None:
    payload = with_attributes(
        INBOUND_SMS, **{"from": 12065550100, "to": " 12065550199 ", "body": None}
    )
    payload["data"]["attributes"]["message_encoding"] = "8"

    message = parse_callback(payload)

    assert isinstance(message, InboundMessage)
    assert (message.from_number, message.to_number) == ("12065550100", "12065550199")
    assert message.body == ""
    assert message.message_encoding == 8


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-02T18:22:41.52Z", datetime(2026, 11, 2, 18, 22, 41, 520000, tzinfo=UTC)),
        ("2026-11-02T18:22:21.980000Z", datetime(2026, 11, 2, 18, 22, 21, 980000, tzinfo=UTC)),
        ("2026-11-02T18:22:29.37Z", datetime(2026, 11, 2, 18, 22, 29, 370000, tzinfo=UTC)),
        ("2026-11-02T18:22:44+00:00", datetime(2026, 11, 2, 18, 22, 44, tzinfo=UTC)),
        ("2026-11-02T10:22:44-08:00", datetime(2026, 11, 2, 18, 22, 44, tzinfo=UTC)),
        ("2026-11-02T18:22:44", datetime(2026, 11, 2, 18, 22, 44, tzinfo=UTC)),
        ("2026-11-02 18:22:44.1234567Z", datetime(2026, 11, 2, 18, 22, 44, 123456, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        ("0001-01-01T00:00:00+01:00", None),
        (1762107761, None),
        (None, None),
    ],
)
def test_timestamps(value: object, expected: datetime | None) -> None:
    message = parse_callback(with_attributes(INBOUND_SMS, timestamp=value))

    assert isinstance(message, InboundMessage)
    assert message.timestamp == expected
    if message.timestamp is not None:
        assert message.timestamp.tzinfo is UTC


def test_unknown_keys_are_ignored() -> None:
    payload = copy.deepcopy(INBOUND_MMS)
    payload["meta"] = {"version": "2.3"}
    payload["data"]["new_member"] = [1, 2]
    payload["data"]["attributes"]["carrier"] = {"name": "x"}
    payload["included"][0]["attributes"]["checksum"] = "abc"
    payload["data"]["relationships"]["owner"] = {"data": None}

    assert parse_callback(payload) == parse_callback(INBOUND_MMS)
    receipt = copy.deepcopy(LEGACY_RECEIPT)
    receipt["attributes"]["segments"] = 2
    receipt["version"] = 2
    assert parse_callback(receipt) == parse_callback(LEGACY_RECEIPT)


def test_optional_fields_of_unexpected_types_count_as_absent() -> None:
    payload = with_attributes(
        INBOUND_MMS,
        body=["Hello"],
        is_mms="no",
        message_encoding={"value": 0},
        timestamp=[2026],
    )
    payload["included"][0]["attributes"].update(file_size="big", mime_type=7, file_name=None)
    payload["data"]["relationships"] = {"media": "m-1"}

    message = parse_callback(payload)

    assert isinstance(message, InboundMessage)
    assert (message.body, message.message_encoding, message.timestamp) == ("", None, None)
    assert message.is_mms  # it has media
    assert message.media == (MediaItem(url="https://<temporary storage>/..."),)


def attributes_without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    del changed["data"]["attributes"][key]
    return changed


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([INBOUND_SMS], "the callback body must be an object, got an array"),
        ("mdr2-1", "the callback body must be an object, got 'mdr2-1'"),
        (None, "the callback body must be an object, got null"),
        (12, "the callback body must be an object, got a number"),
        ({}, "not a Flowroute callback"),
        ({"hello": "world"}, "not a Flowroute callback"),
        ({"data": [INBOUND_SMS["data"]]}, "data must be an object, got an array"),
        ({"data": None}, "data must be an object, got null"),
        ({"data": {"id": "mdr2-1", "type": "message"}}, "data.attributes must be an object"),
        (
            {"data": {**INBOUND_SMS["data"], "type": "account"}},
            "data.type must be 'message' or 'delivery_receipt', got 'account'",
        ),
        (
            {"data": {**INBOUND_SMS["data"], "type": None}},
            "data.type must be 'message' or 'delivery_receipt', got null",
        ),
        ({"data": {**INBOUND_SMS["data"], "type": "x" * 80}}, r"got 'xxxxx.*'\.\.\.$"),
        ({"data": {**INBOUND_SMS["data"], "type": True}}, "got a boolean"),
        ({"data": {**INBOUND_SMS["data"], "type": 1.5}}, "got a number"),
        ({"data": {**INBOUND_SMS["data"], "id": ""}}, "data.id must be a non-empty string"),
        ({"data": {**INBOUND_SMS["data"], "id": 42}}, "data.id must be a non-empty string"),
        ({"data": {**RECEIPT_LEVEL_2["data"], "id": None}}, "data.id must be a non-empty"),
        (attributes_without(INBOUND_SMS, "from"), "data.attributes.from must be a phone number"),
        (attributes_without(INBOUND_SMS, "to"), "data.attributes.to must be a phone number"),
        (with_attributes(INBOUND_SMS, **{"from": None}), "from must be a phone .*, got null"),
        (with_attributes(INBOUND_SMS, **{"from": True}), "from must be a phone number"),
        (with_attributes(INBOUND_SMS, **{"from": "  "}), "from must be a phone number"),
        (with_attributes(INBOUND_SMS, **{"from": -1}), "from must be a phone number"),
        (with_attributes(INBOUND_SMS, to=["12065550199"]), "to must be a phone number"),
        ({**LEGACY_INBOUND, "id": None}, "^id must be a non-empty string"),
        ({"to": 1.5, "from": "12065550100", "id": "mdr2-1"}, "^to must be a phone number"),
        (
            {"body": "hi", "id": "mdr2-1"},
            "^from must be a phone number of 3 to 15 digits, got null",
        ),
        ({**LEGACY_RECEIPT, "id": "  "}, "^id must be a non-empty string"),
        ({**LEGACY_RECEIPT, "attributes": None}, "^attributes must be an object"),
        ({"type": "delivery_receipt", "id": "mdr1-1"}, "^attributes must be an object"),
    ],
)
def test_invalid_callbacks(payload: object, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_callback(payload)


def test_parse_json() -> None:
    assert parse_json(json.dumps(INBOUND_SMS).encode()) == INBOUND_SMS


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe\xfa", b"[" * 100_000, b"<html>"])
def test_parse_json_refuses_what_is_not_json(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="not valid JSON"):
        parse_json(raw)


def test_message_record() -> None:
    sender, recipient = "12065550199", "12065550100"
    receipts = (
        DeliveryReceipt(
            message_id="mdr2-39cadeace66e11e7aff806cd7f24ba2d",
            level=1,
            status="smsc submit",
            status_description="Message sent to SMSC",
            timestamp=datetime(2026, 11, 2, 18, 22, 42, 100000, tzinfo=UTC),
            from_number=sender,
            to_number=recipient,
        ),
        DeliveryReceipt(
            message_id="mdr2-39cadeace66e11e7aff806cd7f24ba2d",
            level=2,
            status="delivery success",
            status_code=1004,
            status_description="Message delivered to handset",
            timestamp=datetime(2026, 11, 2, 18, 22, 44, tzinfo=UTC),
            from_number=sender,
            to_number=recipient,
        ),
    )
    expected = MessageRecord(
        message_id="mdr2-39cadeace66e11e7aff806cd7f24ba2d",
        direction="outbound",
        from_number=sender,
        to_number=recipient,
        body="Garage door is open",
        status="delivered",
        timestamp=datetime(2026, 11, 2, 18, 22, 41, 980000, tzinfo=UTC),
        amount_nanodollars=4000000,
        message_encoding=0,
        message_type="longcode",
        delivery_receipts=receipts,
    )

    assert parse_message_record(MESSAGE_RECORD) == expected
    # The same resource as an item of a list page.
    assert parse_message_record(MESSAGE_RECORD["data"]) == expected


def test_inbound_mms_record_media() -> None:
    record = parse_message_record(INBOUND_MMS_WITH_PARTS)

    assert record.is_mms
    assert record.direction == "inbound"
    assert record.media_urls == ("https://s/IMG_0002.png", "https://s/text_0.txt")
    assert record.delivery_receipts == ()


def test_outbound_mms_record_media_urls() -> None:
    payload = with_attributes(
        MESSAGE_RECORD,
        is_mms=True,
        media_urls=["https://example.org/snap.jpg"],
        delivery_receipts=[{"level": 1, "status": "smsc submit"}, "junk"],
    )

    record = parse_message_record(payload)

    assert record.media_urls == ("https://example.org/snap.jpg",)
    assert [receipt.status for receipt in record.delivery_receipts] == ["smsc submit"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([], "the message record must be an object"),
        ({"data": None}, "data must be an object"),
        ({"id": "mdr2-1"}, "attributes must be an object"),
        ({"data": {**MESSAGE_RECORD["data"], "id": None}}, "^id must be a non-empty string"),
        (attributes_without(MESSAGE_RECORD, "from"), "attributes.from must be a phone number"),
        (attributes_without(MESSAGE_RECORD, "to"), "attributes.to must be a phone number"),
    ],
)
def test_invalid_message_records(record: object, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_message_record(record)


def test_numbers_page() -> None:
    page = copy.deepcopy(NUMBERS_PAGE)
    page["data"].append({"id": 12065550188, "type": "number", "attributes": None})

    assert parse_numbers_page(page) == Page(
        items=(
            PhoneNumber(
                number="12065550199", number_type="longcode", rate_center="seattle", state="wa"
            ),
            PhoneNumber(number="12065550188"),
        ),
        next_link="...",
    )


@pytest.mark.parametrize("links", [None, {}, {"next": None}, {"next": " "}, {"next": 3}, "x"])
def test_pages_without_a_next_link(links: object) -> None:
    page = parse_messages_page({"data": [], "links": links})

    assert page == Page(items=(), next_link=None)


@pytest.mark.parametrize(
    ("page", "message"),
    [
        (None, "the numbers page must be an object"),
        ({"links": {}}, "data must be an array, got null"),
        ({"data": {"id": "12065550199"}}, "data must be an array, got an object"),
        ({"data": ["12065550199"]}, r"data\[0\] must be an object"),
        ({"data": [{"type": "number", "attributes": {}}]}, r"data\[0\] has no number"),
    ],
)
def test_invalid_numbers_pages(page: object, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_numbers_page(page)


def test_sent_message() -> None:
    assert parse_sent_message(SEND_ACCEPTED).message_id == "mdr2-39cadeace66e11e7aff806cd7f24ba2d"


@pytest.mark.parametrize(
    "entry",
    [
        {"code": 1110, "detail": "Recipient opted out"},
        {"code": "1110"},
        {"detail": {"code": 1110, "message": "opted out"}},
        {"detail": "Error 1110: recipient has opted out"},
        {"detail": {"reason": "x"}, "title": "Opted out (1110)"},
        {"code": "n/a", "detail": "code=1110"},
    ],
)
def test_error_code_placements(entry: dict[str, object]) -> None:
    (error,) = parse_errors({"errors": [{"status": "400", **entry}]})

    assert error.code == 1110
    assert error.status == 400


def test_error_details_are_tolerant() -> None:
    errors = parse_errors(
        {"errors": [{"id": 5, "status": "bad", "title": 3, "detail": ["x"]}, "junk", {}]}
    )

    assert errors == (ErrorDetail(), ErrorDetail())
    # Neither an account number nor a year is an error code.
    (error,) = parse_errors({"errors": [{"detail": "number 12065550199 in 2026"}]})
    assert error.code is None


@pytest.mark.parametrize("document", [None, [], "errors", {"errors": {"status": 400}}])
def test_error_documents_of_other_shapes_give_no_details(document: object) -> None:
    assert parse_errors(document) == ()


# Untrusted input: every rule at and beyond its bound, on the fast path and the general one.


def accepted(payload: object) -> InboundMessage | DeliveryReceipt:
    """Parse a callback the rules allow; the fast path, when it takes it, agrees."""
    general = parsers._any_callback(payload)
    fast = parsers._plain_sms(payload)
    assert fast is None or fast == general
    assert parse_callback(payload) == general
    return general


def refused(payload: object, match: str) -> PayloadError:
    """Check that both paths refuse a callback; return the general path's error."""
    assert parsers._plain_sms(payload) is None
    with pytest.raises(PayloadError):
        parse_callback(payload)
    with pytest.raises(PayloadError, match=match) as caught:
        parsers._any_callback(payload)
    return caught.value


def inbound(payload: object) -> InboundMessage:
    message = accepted(payload)
    assert isinstance(message, InboundMessage)
    return message


def delivery_receipt(payload: object) -> DeliveryReceipt:
    parsed = accepted(payload)
    assert isinstance(parsed, DeliveryReceipt)
    return parsed


type Builder = Callable[[Any], dict[str, Any]]

# Where an id is read, the payload around it and the field an error names.
ID_SHAPES: dict[str, tuple[Builder, str]] = {
    "sms": (payloads.sms, "data.id"),
    "legacy_sms": (payloads.legacy_sms, "id"),
    "mms": (lambda value: payloads.mms(payloads.jpegs(1), message_id=value), "data.id"),
    "receipt": (payloads.receipt, "data.id"),
    "legacy_receipt": (payloads.legacy_receipt, "id"),
}
GOOD_IDS = [
    "mdr2-39cadeace66e11e7aff806cd7f24ba2d",
    "mdr1-14bdef7399f14a42a4f4715182451fe7",
    "mdr2-" + "f" * 123,  # 128 characters
    "A" * 128,
    "0",
    "9.a:b-c_d",
    "mdr2-0c3f...",
]
BAD_IDS = [
    "a" * 129,
    "mdr2-" + "f" * 124,
    "a" * 1_000_000,
    "-mdr2",
    ".x",
    ":x",
    "_x",
    "mdr2-1\nINFO fake log line",
    "mdr2 1",
    "mdr2-1\x00",
    "mdr2-\u00e9",
    "mdr2-\u0661\u0662",  # Arabic-Indic digits are no ASCII digits
    "mdr2-<id of the sent message>",
    "mdr2/../1",
]


@pytest.mark.parametrize("shape", sorted(ID_SHAPES))
@pytest.mark.parametrize("message_id", GOOD_IDS)
def test_ids_within_the_rules(shape: str, message_id: str) -> None:
    build, _ = ID_SHAPES[shape]

    assert accepted(build(message_id)).message_id == message_id
    # Surrounding white space is not part of an id (the fast path leaves it to the other).
    assert accepted(build(f" {message_id}\n")).message_id == message_id


def test_the_fast_path_takes_ids_up_to_the_bound() -> None:
    for message_id in GOOD_IDS:
        fast = parsers._plain_sms(payloads.sms(message_id))
        assert fast is not None
        assert fast.message_id == message_id


@pytest.mark.parametrize("shape", sorted(ID_SHAPES))
@pytest.mark.parametrize("message_id", BAD_IDS)
def test_ids_beyond_the_rules(shape: str, message_id: str) -> None:
    build, field = ID_SHAPES[shape]

    error = refused(build(message_id), f"^{field} must be at most 128 ASCII letters, digits")

    # The error holds at most a short, escaped prefix of what was sent.
    assert len(str(error)) < 200
    assert "\n" not in str(error)
    assert "\x00" not in str(error)


@pytest.mark.parametrize(
    "document",
    [
        {"data": {**SEND_ACCEPTED["data"], "id": "x" * 129}},
        {"data": {**SEND_ACCEPTED["data"], "id": "mdr2-1\nx"}},
    ],
)
def test_api_replies_follow_the_id_rules(document: dict[str, Any]) -> None:
    with pytest.raises(PayloadError, match=r"^data\.id must be at most 128"):
        parse_sent_message(document)
    with pytest.raises(PayloadError, match=r"^id must be at most 128"):
        parse_message_record(
            document["data"] | {"attributes": MESSAGE_RECORD["data"]["attributes"]}
        )


# Where a required number is read: the builder and the field an error names.
NUMBER_SHAPES: dict[str, tuple[Builder, str]] = {
    "sms from": (lambda value: payloads.sms(from_=value), "data.attributes.from"),
    "sms to": (lambda value: payloads.sms(to=value), "data.attributes.to"),
    "legacy from": (lambda value: payloads.legacy_sms(from_=value), "from"),
    "legacy to": (lambda value: payloads.legacy_sms(to=value), "to"),
    "mms to": (lambda value: payloads.mms(payloads.jpegs(1), to=value), "data.attributes.to"),
}
GOOD_NUMBERS = [
    ("12065550100", "12065550100"),
    ("2065550100", "12065550100"),  # NANP without its leading 1: one form for both
    ("+12065550100", "12065550100"),
    ("+2065550100", "12065550100"),
    (" 12065550100\n", "12065550100"),
    ("447700900123", "447700900123"),
    ("+447700900123", "447700900123"),
    ("123456789012345", "123456789012345"),  # 15 digits, E.164's maximum
    ("555", "555"),  # a short code
    (12065550100, "12065550100"),
    (2065550100, "12065550100"),
    (999_999_999_999_999, "999999999999999"),
    (100, "100"),
]
BAD_NUMBERS = [
    "1234567890123456",  # 16 digits
    "+1234567890123456",
    "12",
    "",
    "   ",
    "+",
    "++12065550100",
    "1+2065550100",
    "+1 206 555 0100",
    "1206-555-0100",
    "\u0661\u0662\u0660\u0666\u0665\u0665\u0665\u0660\u0661\u0660\u0660",  # Arabic-Indic
    "\uff11\uff12\uff10\uff16\uff15\uff15\uff15\uff10\uff11\uff10\uff10",  # full-width
    "evil\nINFO fake log line",
    "12065550100\nINFO fake log line",
    "1" * 1_000_000,
    10**15,
    99,
    0,
    -12065550100,
    True,
    1.2065550100e10,
    None,
    ["12065550100"],
]


@pytest.mark.parametrize("shape", sorted(NUMBER_SHAPES))
@pytest.mark.parametrize(("value", "number"), GOOD_NUMBERS)
def test_numbers_within_the_rules_come_out_canonical(
    shape: str, value: object, number: str
) -> None:
    build, field = NUMBER_SHAPES[shape]
    message = inbound(build(value))

    if field.endswith("from"):
        assert (message.from_number, message.to_number) == (number, "12065550199")
    else:
        assert (message.from_number, message.to_number) == ("12065550100", number)


def test_the_fast_path_takes_plain_digits_and_canonicalises_them() -> None:
    fast = parsers._plain_sms(payloads.sms(from_="2065550100", to="123456789012345"))

    assert fast is not None
    assert (fast.from_number, fast.to_number) == ("12065550100", "123456789012345")
    # What is not plain digits ("+", padding, JSON numbers) is the general path's.
    for value in ("+12065550100", " 12065550100", 12065550100):
        assert parsers._plain_sms(payloads.sms(from_=value)) is None


@pytest.mark.parametrize("shape", sorted(NUMBER_SHAPES))
@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_numbers_beyond_the_rules(shape: str, value: object) -> None:
    build, field = NUMBER_SHAPES[shape]

    error = refused(build(value), f"^{field} must be a phone number of 3 to 15 digits")

    # Nothing of the untrusted text reaches the message (it goes to a log).
    assert "fake log line" not in str(error)
    assert "evil" not in str(error)
    assert "1206" not in str(error)


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_optional_numbers_beyond_the_rules_count_as_absent(value: object) -> None:
    parsed = delivery_receipt(payloads.legacy_receipt(**{"from": value, "to": "2065550100"}))

    assert parsed.from_number is None
    assert parsed.to_number == "12065550100"


def test_record_numbers_follow_the_rules() -> None:
    record = parse_message_record(with_attributes(MESSAGE_RECORD, to="+2065550100"))

    assert record.to_number == "12065550100"
    assert {(r.from_number, r.to_number) for r in record.delivery_receipts} == {
        ("12065550199", "12065550100")
    }
    with pytest.raises(PayloadError, match=r"^attributes\.from must be a phone number"):
        parse_message_record(with_attributes(MESSAGE_RECORD, **{"from": "1" * 16}))


def test_account_numbers_follow_the_rules() -> None:
    page = parse_numbers_page(
        {
            "data": [
                {"id": "2065550199", "type": "number", "attributes": {"value": "+2065550199"}},
                {"id": 12065550188, "type": "number", "attributes": {"value": "1" * 16}},
            ]
        }
    )

    assert [number.number for number in page.items] == ["12065550199", "12065550188"]
    with pytest.raises(PayloadError, match=r"data\[0\] has no number"):
        parse_numbers_page({"data": [{"id": "12\n", "attributes": {"value": "evil"}}]})


# _int: what it checks is what it converts.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\x1c12", 12),  # str.strip() removes \x1c, int() does not
        ("\x1f12\x1d", 12),
        (" 12 ", 12),
        ("12\n", 12),
        ("\u0661\u0662", None),  # Arabic-Indic digits
        ("\uff11\uff12", None),  # full-width digits
        ("\u00b2", None),  # a superscript is a digit to str.isdigit()
        ("+12", 12),
        ("-12", -12),
        ("1_000", None),
        ("9" * 18, 10**18 - 1),
        ("9" * 19, None),
        ("\x1c" + "9" * 19, None),
        (10**18, None),
        (-(10**18), None),
        (True, None),
        (1.0, None),
    ],
)
def test_int_converts_exactly_what_it_checked(value: object, expected: int | None) -> None:
    assert parsers._int(value) == expected
    message = inbound(
        with_attributes(INBOUND_SMS, amount_nanodollars=value, message_encoding=value)
    )
    assert (message.amount_nanodollars, message.message_encoding) == (expected, expected)
    parsed = delivery_receipt(payloads.receipt(status_code=value))
    assert parsed.status_code == expected
    record = parse_message_record(with_attributes(MESSAGE_RECORD, amount_nanodollars=value))
    assert record.amount_nanodollars == expected
    media = inbound(payloads.mms([payloads.media_entry(0, file_size=value)])).media
    assert [item.file_size for item in media] == [expected]
    (error,) = parse_errors({"errors": [{"status": value, "code": value}]})
    assert (error.status, error.code) == (expected, expected)


# Receipts


@pytest.mark.parametrize("level", [1, 2, "1", " 2 ", "\x1c2", None, ABSENT])
@pytest.mark.parametrize("build", [payloads.receipt, payloads.legacy_receipt])
def test_receipt_levels_within_the_rules(build: Any, level: object) -> None:
    parsed = delivery_receipt(build(level=level))

    assert parsed.level == (None if level in (None, ABSENT) else int(str(level).strip()))


@pytest.mark.parametrize("level", ["high", 3, 0, -1, "0", "3", 2.0, True, "", [2], {"level": 2}])
@pytest.mark.parametrize(
    ("build", "field"),
    [(payloads.receipt, "data.attributes."), (payloads.legacy_receipt, "attributes.")],
)
def test_receipt_levels_beyond_the_rules(build: Any, field: str, level: object) -> None:
    refused(build(level=level), f"^{field}level must be 1 or 2")


@pytest.mark.parametrize("status", [ABSENT, None, "", "   ", 7, ["sent"], "s" * 65, "sent\nINFO x"])
@pytest.mark.parametrize(
    ("build", "field"),
    [(payloads.receipt, "data.attributes."), (payloads.legacy_receipt, "attributes.")],
)
def test_receipt_status_is_required(build: Any, field: str, status: object) -> None:
    refused(build(status=status), f"^{field}status must be a non-empty text of at most 64")


def test_the_forged_receipt_of_issue_11_is_refused() -> None:
    forged: dict[str, Any] = {
        "data": {"type": "delivery_receipt", "id": "mdr2-x", "attributes": {"level": "high"}}
    }

    refused(forged, "^data.attributes.status must be")
    forged["data"]["attributes"]["status"] = "delivered"
    refused(forged, "^data.attributes.level must be 1 or 2, got 'high'")


def test_receipt_free_texts_are_bounded() -> None:
    parsed = delivery_receipt(
        payloads.receipt(
            status=" " + "s" * 64 + " ", status_code_description="d" * 300, body="b" * 10_001
        )
    )

    assert parsed.status == "s" * 64
    assert parsed.status_description == "d" * 256
    assert parsed.body is None
    assert delivery_receipt(payloads.receipt(body="b" * 10_000)).body == "b" * 10_000


def test_receipts_in_a_record_that_break_the_rules_are_left_out() -> None:
    good = MESSAGE_RECORD["data"]["attributes"]["delivery_receipts"]
    payload = with_attributes(
        MESSAGE_RECORD,
        delivery_receipts=[
            {"level": "high", "status": "delivery success"},
            {"level": 1, "status": ""},
            {"level": 1},
            good[0],
            {"level": 3, "status": "smsc submit"},
            good[1],
        ],
    )

    record = parse_message_record(payload)

    assert record.delivery_receipts == parse_message_record(MESSAGE_RECORD).delivery_receipts
    assert record.message_id == "mdr2-39cadeace66e11e7aff806cd7f24ba2d"


# Media


class Tripwire(dict[str, Any]):
    """A media entry the parser must never look at (it already has enough)."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the parser looked past its media bound")


class TripwireList(list[Any]):
    """A list that fails when iterated past its first `limit` items."""

    def __init__(self, items: list[Any], limit: int) -> None:
        super().__init__(items)
        self.limit = limit

    def __iter__(self) -> Iterator[Any]:
        for index, item in enumerate(super().__iter__()):
            if index == self.limit:
                raise AssertionError("the parser looked past its media bound")
            yield item


def test_media_bound_is_ten() -> None:
    assert MAX_MEDIA_ITEMS == 10


@pytest.mark.parametrize("count", [0, 1, 9, 10, 11, 11_000])
@pytest.mark.parametrize("related", [True, False])
def test_included_media_is_bounded(count: int, related: bool) -> None:
    message = inbound(payloads.mms(payloads.jpegs(count), related=related))

    assert [item.url for item in message.media] == [
        f"https://s/IMG_{index:04}.jpg" for index in range(min(count, MAX_MEDIA_ITEMS))
    ]
    assert message.is_mms


@pytest.mark.parametrize("count", [0, 1, 9, 10, 11, 11_000])
def test_media_urls_are_bounded(count: int) -> None:
    urls = [f"https://s/{index}.jpg" for index in range(count)]

    message = inbound(payloads.legacy_mms(urls))
    record = parse_message_record(with_attributes(MESSAGE_RECORD, media_urls=urls))

    assert [item.url for item in message.media] == urls[:MAX_MEDIA_ITEMS]
    assert list(record.media_urls) == urls[:MAX_MEDIA_ITEMS]


def test_the_parser_stops_looking_once_it_has_ten_media_items() -> None:
    entries = [*payloads.jpegs(MAX_MEDIA_ITEMS), Tripwire(payloads.media_entry(99))]
    assert len(inbound(payloads.mms(entries, related=False)).media) == MAX_MEDIA_ITEMS

    urls = [f"https://s/{index}.jpg" for index in range(MAX_MEDIA_ITEMS + 5)]
    message = parsers._any_callback(payloads.legacy_mms(TripwireList(urls, MAX_MEDIA_ITEMS)))
    assert isinstance(message, InboundMessage)
    assert len(message.media) == MAX_MEDIA_ITEMS


def test_layout_parts_and_skipped_items_do_not_count() -> None:
    smil = [
        payloads.media_entry(100 + index, mime_type=mime_type, url=f"https://s/{index}.smil")
        for index, mime_type in enumerate(
            ["application/smil", "APPLICATION/SMIL+XML", "application/smil; charset=utf-8"]
        )
    ]
    broken = [payloads.media_entry(200, url="ftp://s/a.jpg"), payloads.media_entry(201, url=None)]

    message = inbound(payloads.mms([*smil, *broken, *payloads.jpegs(12)]))

    assert [item.url for item in message.media] == [
        f"https://s/IMG_{index:04}.jpg" for index in range(MAX_MEDIA_ITEMS)
    ]


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://s/a.jpg", True),
        ("http://127.0.0.1:8080/media/m-1", True),
        ("HTTPS://S/A.JPG", True),
        ("https://<temporary storage>/...", True),
        ("https://s/" + "a" * (4096 - 10), True),
        ("https://s/" + "a" * (4096 - 9), False),
        ("ftp://s/a.jpg", False),
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
        ("//s/a.jpg", False),
        ("https://", False),
        ("https:// s", False),
        ("https://s/a\nINFO fake", False),
        ("", False),
        (7, False),
    ],
)
def test_media_urls_must_be_http(url: object, kept: bool) -> None:
    included = inbound(payloads.mms([payloads.media_entry(0, url=url)])).media
    listed = inbound(payloads.legacy_mms([url])).media

    assert [item.url for item in included] == ([url] if kept else [])
    assert [item.url for item in listed] == ([url] if kept else [])


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("IMG_0001.jpg", "IMG_0001.jpg"),
        ("n" * 255, "n" * 255),
        ("n" * 256, None),
        ("a\nb.jpg", None),
        ("", None),
        (12, None),
    ],
)
def test_media_file_names_are_bounded(file_name: object, expected: str | None) -> None:
    (item,) = inbound(payloads.mms([payloads.media_entry(0, file_name=file_name)])).media

    assert item.file_name == expected


@pytest.mark.parametrize(
    ("mime_type", "expected"),
    [
        ("image/jpeg", "image/jpeg"),
        ("image/svg+xml", "image/svg+xml"),
        ("application/vnd.wap.multipart.related", "application/vnd.wap.multipart.related"),
        ("a/" + "b" * 125, "a/" + "b" * 125),  # 127 characters
        ("a/" + "b" * 126, None),
        ("image", None),
        ("image/", None),
        ("/jpeg", None),
        ("image/jpeg; name=a.jpg", None),
        ("image/jpeg\n", None),
        (" image/jpeg", None),
        ("image/jp eg", None),
        ("image/jpeg/x", None),
    ],
)
def test_media_types_must_look_like_one(mime_type: str, expected: str | None) -> None:
    (item,) = inbound(payloads.mms([payloads.media_entry(0, mime_type=mime_type)])).media

    assert item.mime_type == expected


def test_media_ids_follow_the_id_rules() -> None:
    long_id = "m" * 129
    entries = [
        {**payloads.media_entry(0), "id": long_id},
        {**payloads.media_entry(1), "id": "m-1\nx"},
        {**payloads.media_entry(2), "id": " m-2 "},
    ]
    payload = payloads.mms(entries)
    payload["data"]["relationships"]["media"]["data"] = [
        {"id": long_id, "type": "media"},
        {"id": "m-1\nx", "type": "media"},
        {"id": "m-2", "type": "media"},
    ]

    assert [item.url for item in inbound(payload).media] == ["https://s/IMG_0002.jpg"]


# Bodies


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda body: payloads.sms(body=body), "data.attributes."),
        (lambda body: payloads.legacy_sms(body=body), ""),
        (lambda body: payloads.mms(payloads.jpegs(1), body=body), "data.attributes."),
    ],
)
def test_inbound_bodies_are_bounded(build: Any, field: str) -> None:
    assert inbound(build("b" * 10_000)).body == "b" * 10_000

    error = refused(build("b" * 10_001), f"^{field}body has 10001 characters, more than the 10000")
    assert "bbb" not in str(error)


def test_the_fast_path_takes_bodies_up_to_the_bound() -> None:
    fast = parsers._plain_sms(payloads.sms(body="b" * 10_000))

    assert fast is not None
    assert fast.body == "b" * 10_000


# Property tests: whatever arrives, the parsers raise PayloadError or return a model.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=40,
)
# Values that look like what Flowroute sends, so mutations reach deep branches.
plausible_values = st.one_of(
    json_values,
    st.sampled_from(
        [
            "12065550100",
            "mdr2-1",
            "delivery_receipt",
            "message",
            "media",
            "m-1",
            "2026-11-02T18:22:41.52Z",
            "application/smil",
            "1110",
            12065550100,
            [],
            {},
            # At and beyond the bounds of ids, numbers, levels, bodies and media.
            "a" * 128,
            "a" * 129,
            "mdr2-1\nINFO fake log line",
            "2065550100",
            "+12065550100",
            "1" * 15,
            "1" * 16,
            "\x1c12",
            "\u0661\u0662",
            "high",
            3,
            "b" * 10_001,
            "https://s/a.jpg",
            "ftp://s/a.jpg",
        ]
    ),
)
# Mutations of a JSON tree: each is a path (a list of keys/indexes) and what to do there.
PARSERS = [parse_callback, parse_message_record, parse_numbers_page, parse_messages_page]


def paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def mutate(document: object, path: tuple[object, ...], action: str, value: object) -> object:
    if not path:
        return value
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[f"{last}_extra"] = value
    else:
        parent[last] = value
    return document


def check(parser: Any, document: object) -> None:
    with contextlib.suppress(PayloadError):
        parser(document)


@settings(max_examples=300, deadline=None, database=None)
@given(document=json_values)
def test_parsers_survive_any_json(document: object) -> None:
    for parser in PARSERS:
        check(parser, document)
    assert isinstance(parse_errors(document), tuple)


def mutated_payload(data: st.DataObject, max_mutations: int) -> object:
    """Draw one of the valid payloads and replace, delete or add up to N parts of it."""
    name = data.draw(st.sampled_from(sorted(VALID_CALLBACKS)), label="payload")
    document: object = copy.deepcopy(VALID_CALLBACKS[name])
    for _ in range(data.draw(st.integers(min_value=1, max_value=max_mutations), label="mutations")):
        path = data.draw(st.sampled_from(paths(document)), label="path")
        action = data.draw(st.sampled_from(["replace", "delete", "add"]), label="action")
        if action == "delete" and not path:
            continue
        document = mutate(document, path, action, data.draw(plausible_values, label="value"))
    return document


@settings(max_examples=600, deadline=None, database=None)
@given(data=st.data())
def test_parsers_survive_mutated_payloads(data: st.DataObject) -> None:
    document = mutated_payload(data, 4)
    for parser in PARSERS:
        check(parser, document)


@settings(max_examples=600, deadline=None, database=None)
@given(data=st.data())
def test_sms_fast_path_agrees_with_the_general_path(data: st.DataObject) -> None:
    document = mutated_payload(data, 3)
    fast = parsers._plain_sms(document)
    if fast is not None:
        assert fast == parsers._any_callback(document)


def test_sms_fast_path_takes_the_common_sms_and_leaves_the_rest() -> None:
    assert parsers._plain_sms(INBOUND_SMS) == parse_callback(INBOUND_SMS)
    for payload in (
        INBOUND_MMS,
        LEGACY_INBOUND,
        RECEIPT_LEVEL_2,
        with_attributes(INBOUND_SMS, to="+12065550199"),
    ):
        assert parsers._plain_sms(payload) is None

"""Payload parsers: every documented variant, tolerated quirks and refused shapes."""

import contextlib
import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.flowroute.api import (
    DeliveryReceipt,
    ErrorDetail,
    InboundMessage,
    MediaItem,
    MessageRecord,
    PayloadError,
    PhoneNumber,
    ReceiptOutcome,
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

from .payloads import (
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
        message_id="mdr2-<id of the sent message>",
        level=2,
        status="delivery success",
        status_code=1004,
        status_description="Message delivered to handset",
        timestamp=datetime(2026, 11, 2, 18, 22, 44, tzinfo=UTC),
        body="Garage door is open",
    )
    assert isinstance(receipt, DeliveryReceipt)
    assert receipt.outcome is ReceiptOutcome.DELIVERED


def test_receipt_level_1() -> None:
    receipt = parse_callback(RECEIPT_LEVEL_1)

    assert isinstance(receipt, DeliveryReceipt)
    assert (receipt.level, receipt.status, receipt.status_code) == (1, "smsc submit", None)
    assert receipt.status_description is None
    assert receipt.outcome is ReceiptOutcome.SENT


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
    assert receipt.outcome is ReceiptOutcome.DELIVERED


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        ("sent", None, ReceiptOutcome.SENT),
        ("smsc submit", 1001, ReceiptOutcome.SENT),
        ("smsc intermediate notifications", 1002, ReceiptOutcome.SENT),
        ("message buffered", 1003, ReceiptOutcome.SENT),
        ("smsc submit", 0, ReceiptOutcome.SENT),
        ("something new", None, ReceiptOutcome.SENT),
        ("", None, ReceiptOutcome.SENT),
        ("delivery success", 1004, ReceiptOutcome.DELIVERED),
        ("Delivered", None, ReceiptOutcome.DELIVERED),
        ("", 1004, ReceiptOutcome.DELIVERED),
        ("undelivered", 1103, ReceiptOutcome.FAILED),
        ("delivery failure", None, ReceiptOutcome.FAILED),
        ("smsc reject", None, ReceiptOutcome.FAILED),
        ("rejected", None, ReceiptOutcome.FAILED),
        ("expired", None, ReceiptOutcome.FAILED),
        ("failed", None, ReceiptOutcome.FAILED),
        ("", 1005, ReceiptOutcome.FAILED),
        ("", 1008, ReceiptOutcome.FAILED),
        ("", 1100, ReceiptOutcome.FAILED),
        ("delivery failure", 1116, ReceiptOutcome.FAILED),
        ("", 1299, ReceiptOutcome.FAILED),
        ("", 1300, ReceiptOutcome.SENT),
        ("undelivered", 1110, ReceiptOutcome.OPTED_OUT),
        ("delivery failure", 1110, ReceiptOutcome.OPTED_OUT),
    ],
)
def test_receipt_outcome(status: str, code: int | None, outcome: ReceiptOutcome) -> None:
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
        (with_attributes(INBOUND_SMS, **{"from": None}), "from must be a phone number, got null"),
        (with_attributes(INBOUND_SMS, **{"from": True}), "from must be a phone number"),
        (with_attributes(INBOUND_SMS, **{"from": "  "}), "from must be a phone number"),
        (with_attributes(INBOUND_SMS, **{"from": -1}), "from must be a phone number"),
        (with_attributes(INBOUND_SMS, to=["12065550199"]), "to must be a phone number"),
        ({**LEGACY_INBOUND, "id": None}, "^id must be a non-empty string"),
        ({"to": 1.5, "from": "12065550100", "id": "mdr2-1"}, "^to must be a phone number"),
        ({"body": "hi", "id": "mdr2-1"}, "^from must be a phone number, got null"),
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

"""Turn Flowroute JSON (callbacks and API replies) into typed models.

Flowroute adds fields without notice and is loose with types, so the rules are:
unknown keys are ignored; numbers may be JSON numbers or numeric strings; an optional
field of an unexpected type counts as absent; an unparsable timestamp becomes None.
Only what a model cannot exist without (the envelope, ids, the numbers of a message)
raises PayloadError, and no other exception ever leaves this module.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import ErrorDetail, PayloadError

try:  # Home Assistant ships orjson; it decodes webhook bodies three times faster.
    from orjson import loads as _json_loads
except ImportError:  # pragma: no cover - the client also runs without Home Assistant
    from json import loads as _json_loads  # type: ignore[assignment]
from .models import (
    DeliveryReceipt,
    InboundMessage,
    MediaItem,
    MessageRecord,
    PhoneNumber,
    SentMessage,
)

type JSONObject = dict[str, object]

# ASCII digits only, and short enough that int() is cheap and exact.
_INTEGER_DIGITS = 18
_INTEGER = re.compile(rf"[+-]?[0-9]{{1,{_INTEGER_DIGITS}}}")
# A Flowroute code (1000..1999, e.g. 1110) when only an error's prose carries it.
_CODE_IN_TEXT = re.compile(r"(?<![0-9])1[0-9]{3}(?![0-9])")
_MAX_NUMBER = 10**15  # E.164 allows 15 digits
_MAX_INTEGER = 10**18
_SMIL = "application/smil"
_JSON_KINDS = {
    dict: "an object",
    list: "an array",
    bool: "a boolean",
    int: "a number",
    float: "a number",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Page[T]:
    """One page of a paginated list and the link to the next page, if any."""

    items: tuple[T, ...]
    next_link: str | None


def parse_json(raw: bytes) -> object:
    """Decode a JSON body; PayloadError when it is not JSON (or not text)."""
    try:
        return _json_loads(raw)
    # JSONDecodeError and UnicodeDecodeError are ValueErrors; absurd nesting recurses.
    except (ValueError, RecursionError) as err:
        raise PayloadError(f"the body is not valid JSON: {err}") from err


def parse_callback(payload: object) -> InboundMessage | DeliveryReceipt:
    """Parse what Flowroute posted to a message or delivery receipt callback."""
    return _plain_sms(payload) or _any_callback(payload)


def _any_callback(payload: object) -> InboundMessage | DeliveryReceipt:
    """Parse any callback shape Flowroute uses (parse_callback's general path)."""
    document = _object(payload, "the callback body")
    if "data" in document:
        data = _object(document["data"], "data")
        attributes = _object(data.get("attributes"), "data.attributes")
        match data.get("type"):
            case "message":
                return _inbound_message(
                    _message_id(data.get("id"), "data.id"),
                    attributes,
                    _included_media(data, document.get("included")),
                    where="data.attributes.",
                    legacy=False,
                )
            case "delivery_receipt":
                return _receipt(_message_id(data.get("id"), "data.id"), attributes, legacy=False)
            case other:
                raise PayloadError(
                    f"data.type must be 'message' or 'delivery_receipt', got {_describe(other)}"
                )
    if document.get("type") == "delivery_receipt":
        # Messaging v2 receipts: no data envelope, an mdr1- id.
        attributes = _object(document.get("attributes"), "attributes")
        return _receipt(_message_id(document.get("id"), "id"), attributes, legacy=True)
    if "from" in document or "to" in document or "body" in document:
        # The legacy flat inbound format: the attributes are the document itself.
        message_id = _message_id(document.get("id"), "id")
        return _inbound_message(message_id, document, (), where="", legacy=True)
    raise PayloadError("not a Flowroute callback: no data envelope, receipt or message fields")


def _plain_sms(payload: object) -> InboundMessage | None:
    """Parse the common case, a v2.1 inbound SMS, in one pass; None for anything else.

    Every inbound text goes through here inside the webhook request, so it is kept to a
    few dictionary lookups. Whatever it is unsure of (media, odd types, padded values) it
    leaves to the general path, which gives the same result or the PayloadError.
    """
    if type(payload) is not dict or "included" in payload:
        return None
    data = payload.get("data")
    if type(data) is not dict or data.get("type") != "message":
        return None
    attributes = data.get("attributes")
    if type(attributes) is not dict:
        return None
    message_id = data.get("id")
    from_number = attributes.get("from")
    to_number = attributes.get("to")
    body = attributes.get("body", "")
    if not (
        type(message_id) is str
        and message_id
        and not message_id[0].isspace()
        and not message_id[-1].isspace()
        and type(from_number) is str
        and from_number.isdigit()
        and type(to_number) is str
        and to_number.isdigit()
        and type(body) is str
        and attributes.get("is_mms", False) is False
        and "media_urls" not in attributes
    ):
        return None
    return InboundMessage(
        message_id=message_id,
        from_number=from_number,
        to_number=to_number,
        body=body,
        timestamp=_timestamp(attributes.get("timestamp")),
        amount_nanodollars=_int(attributes.get("amount_nanodollars")),
        message_encoding=_int(attributes.get("message_encoding")),
    )


def parse_message_record(obj: object, *, included: object = None) -> MessageRecord:
    """Parse a message record: a whole `{"data": ...}` document or one resource of a list.

    `included` is the top-level `included` list of the page the resource came from.
    """
    resource = _object(obj, "the message record")
    if "data" in resource:
        included = resource.get("included")
        resource = _object(resource["data"], "data")
    attributes = _object(resource.get("attributes"), "attributes")
    message_id = _message_id(resource.get("id"), "id")
    from_number = _required_number(attributes, "from", "attributes.")
    to_number = _required_number(attributes, "to", "attributes.")
    media = _included_media(resource, included) or _url_media(attributes)
    receipts = attributes.get("delivery_receipts")
    return MessageRecord(
        message_id=message_id,
        direction=_text(attributes.get("direction")) or "",
        from_number=from_number,
        to_number=to_number,
        body=_text(attributes.get("body")) or "",
        is_mms=_flag(attributes.get("is_mms")) or bool(media),
        media_urls=tuple(item.url for item in media),
        status=_text(attributes.get("status")) or "",
        timestamp=_timestamp(attributes.get("timestamp")),
        amount_nanodollars=_int(attributes.get("amount_nanodollars")),
        message_encoding=_int(attributes.get("message_encoding")),
        message_type=_text(attributes.get("message_type")),
        delivery_receipts=tuple(
            # Receipts inside a record carry neither id nor numbers: they are the record's.
            _receipt(message_id, receipt, legacy=False, sender=from_number, recipient=to_number)
            for receipt in (receipts if isinstance(receipts, list) else ())
            if isinstance(receipt, dict)
        ),
    )


def parse_numbers_page(document: object) -> Page[PhoneNumber]:
    """Parse a page of `GET /v2/numbers`."""
    page = _object(document, "the numbers page")
    return Page(
        items=tuple(
            _phone_number(_object(entry, f"data[{index}]"), f"data[{index}]")
            for index, entry in enumerate(_array(page.get("data"), "data"))
        ),
        next_link=_next_link(page),
    )


def parse_messages_page(document: object) -> Page[MessageRecord]:
    """Parse a page of `GET /v2.1/messages`."""
    page = _object(document, "the message records page")
    included = page.get("included")
    return Page(
        items=tuple(
            parse_message_record(entry, included=included)
            for entry in _array(page.get("data"), "data")
        ),
        next_link=_next_link(page),
    )


def parse_sent_message(document: object) -> SentMessage:
    """Parse the 202 reply to `POST /v2.1/messages`."""
    data = _object(_object(document, "the send reply").get("data"), "data")
    return SentMessage(message_id=_message_id(data.get("id"), "data.id"))


def parse_errors(document: object) -> tuple[ErrorDetail, ...]:
    """Parse the `errors` list of an error reply; anything unexpected gives no details."""
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list):
        return ()
    return tuple(_error_detail(entry) for entry in errors if isinstance(entry, dict))


def _inbound_message(
    message_id: str,
    attributes: JSONObject,
    media: tuple[MediaItem, ...],
    *,
    where: str,
    legacy: bool,
) -> InboundMessage:
    media = media or _url_media(attributes)
    return InboundMessage(
        message_id=message_id,
        from_number=_required_number(attributes, "from", where),
        to_number=_required_number(attributes, "to", where),
        body=_text(attributes.get("body")) or "",
        is_mms=_flag(attributes.get("is_mms")) or bool(media),
        media=media,
        timestamp=_timestamp(attributes.get("timestamp")),
        amount_nanodollars=_int(attributes.get("amount_nanodollars")),
        message_encoding=_int(attributes.get("message_encoding")),
        legacy=legacy,
    )


def _receipt(
    message_id: str,
    attributes: JSONObject,
    *,
    legacy: bool,
    sender: str | None = None,
    recipient: str | None = None,
) -> DeliveryReceipt:
    return DeliveryReceipt(
        message_id=message_id,
        status=_text(attributes.get("status")) or "",
        level=_int(attributes.get("level")),
        status_code=_int(attributes.get("status_code")),
        status_description=_text(attributes.get("status_code_description")),
        timestamp=_timestamp(attributes.get("timestamp")),
        from_number=_number(attributes.get("from")) or sender,
        to_number=_number(attributes.get("to")) or recipient,
        body=_text(attributes.get("body")),
        legacy=legacy,
    )


def _included_media(resource: JSONObject, included: object) -> tuple[MediaItem, ...]:
    """Media of an MMS from the top-level `included` list, minus SMIL layout parts."""
    if not isinstance(included, list):
        return ()
    wanted = _related_media_ids(resource)
    items: list[MediaItem] = []
    for entry in included:
        if not isinstance(entry, dict) or entry.get("type") != "media":
            continue
        media_id = entry.get("id")
        if wanted is not None and not (isinstance(media_id, str) and media_id in wanted):
            continue
        attributes = _optional_object(entry.get("attributes"))
        url = _text(attributes.get("url"))
        mime_type = _text(attributes.get("mime_type"))
        if not url or (mime_type and mime_type.lower().startswith(_SMIL)):
            continue
        items.append(
            MediaItem(
                url=url,
                mime_type=mime_type,
                file_name=_text(attributes.get("file_name")),
                file_size=_int(attributes.get("file_size")),
            )
        )
    return tuple(items)


def _related_media_ids(resource: JSONObject) -> set[str] | None:
    """Ids named by `relationships.media.data`, or None when the resource names none."""
    relationships = _optional_object(resource.get("relationships"))
    data = _optional_object(relationships.get("media")).get("data")
    if not isinstance(data, list):
        return None
    return {
        entry["id"]
        for entry in data
        if isinstance(entry, dict) and isinstance(entry.get("id"), str)
    }


def _url_media(attributes: JSONObject) -> tuple[MediaItem, ...]:
    """Media given as a plain `media_urls` list (legacy flat format, records)."""
    urls = attributes.get("media_urls")
    if not isinstance(urls, list):
        return ()
    return tuple(MediaItem(url=url) for url in urls if isinstance(url, str) and url)


def _phone_number(resource: JSONObject, where: str) -> PhoneNumber:
    attributes = _optional_object(resource.get("attributes"))
    number = _number(attributes.get("value")) or _number(resource.get("id"))
    if number is None:
        raise PayloadError(f"{where} has no number in attributes.value or id")
    return PhoneNumber(
        number=number,
        alias=_text(attributes.get("alias")),
        number_type=_text(attributes.get("number_type")),
        rate_center=_text(attributes.get("rate_center")),
        state=_text(attributes.get("state")),
    )


def _error_detail(entry: JSONObject) -> ErrorDetail:
    detail = entry.get("detail")
    title = _text(entry.get("title"))
    if not isinstance(detail, str | dict):
        detail = None
    # Where Flowroute puts codes such as 1110 is undocumented: look everywhere plausible.
    code = _int(entry.get("code"))
    if code is None and isinstance(detail, dict):
        code = _int(detail.get("code"))
    for text in (detail, title):
        if code is None and isinstance(text, str) and (match := _CODE_IN_TEXT.search(text)):
            code = int(match.group())
    return ErrorDetail(
        id=_text(entry.get("id")),
        status=_int(entry.get("status")),
        title=title,
        detail=detail,
        code=code,
    )


def _next_link(page: JSONObject) -> str | None:
    link = _optional_object(page.get("links")).get("next")
    return link if isinstance(link, str) and link.strip() else None


def _object(value: object, where: str) -> JSONObject:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object, got {_describe(value)}")
    return value


def _optional_object(value: object) -> JSONObject:
    return value if isinstance(value, dict) else {}


def _array(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise PayloadError(f"{where} must be an array, got {_describe(value)}")
    return value


def _message_id(value: object, where: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise PayloadError(f"{where} must be a non-empty string, got {_describe(value)}")


def _required_number(attributes: JSONObject, key: str, where: str) -> str:
    value = attributes.get(key)
    number = _number(value)
    if number is None:
        raise PayloadError(f"{where}{key} must be a phone number, got {_describe(value)}")
    return number


def _number(value: object) -> str | None:
    """Read a phone number as Flowroute sends it: a digit string, sometimes a JSON number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 < value < _MAX_NUMBER else None
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < _MAX_INTEGER else None
    if isinstance(value, str):
        if value.isdigit() and value.isascii() and len(value) <= _INTEGER_DIGITS:
            return int(value)  # the usual case, "4000000", without the pattern
        if _INTEGER.fullmatch(value.strip()):
            return int(value)
    return None


def _flag(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _timestamp(value: object) -> datetime | None:
    """Read a timestamp as an aware UTC datetime; one without an offset is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _describe(value: object) -> str:
    if value is None:
        return "null or nothing"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"{value[:40]!r}..."  # noqa: PLR2004
    return _JSON_KINDS.get(type(value), type(value).__name__)

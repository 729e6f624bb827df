"""Turn Flowroute JSON (callbacks and API replies) into typed models.

Flowroute adds fields without notice and is loose with types, and Flowroute signs no
callback: anyone who learns the webhook URL can post anything. So the rules are:

- unknown keys are ignored; integers may be JSON numbers or numeric strings (ASCII
  digits, surrounding white space allowed); an optional field of an unexpected type or
  out of bounds counts as absent; an unparsable timestamp becomes None;
- what becomes a key, a log line or a stored value is checked before it leaves here:
  an id is at most 128 ASCII letters, digits and `._:-`, starting with a letter or digit;
  a phone number is 3 to 15 ASCII digits (E.164's maximum; short codes are shorter), a
  leading "+" dropped, in `canonical_number`'s form; an inbound body has at most 10,000
  characters; a receipt has a status of at most 64 printable characters and, when it
  has a level, level 1 or 2;
- a message keeps at most MAX_MEDIA_ITEMS media items (SMIL layout parts not counted;
  the parser stops looking once it has them), each with an http(s) URL of at most 4096
  printable characters; a file name of more than 255 characters or with unprintable
  ones, or a MIME type that is not a plain `type/subtype` of at most 127, counts as
  absent; a receipt's status description is cut at 256 characters, and its body (the
  text of the sent message) counts as absent beyond 10,000.

Only what a model cannot exist without (the envelope, ids, the numbers and body of a
message, a receipt's status and level) raises PayloadError, and no other exception ever
leaves this module. Its message names the field and never holds more of a bad value
than a short escaped prefix, and nothing of a phone number or a body. A receipt inside a
message record that breaks the rules is left out; the record is kept.
"""

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import ErrorDetail, PayloadError

try:  # Home Assistant ships orjson; it decodes webhook bodies three times faster.
    from orjson import loads as _json_loads
except ImportError:  # pragma: no cover - the client also runs without Home Assistant
    from json import loads as _json_loads  # type: ignore[assignment]
from .models import (
    MAX_MEDIA_ITEMS,
    DeliveryReceipt,
    InboundMessage,
    MediaItem,
    MessageRecord,
    PhoneNumber,
    SentMessage,
)
from .numbers import canonical_number

type JSONObject = dict[str, object]

# Ids key the dedup window, the receipt tracker and repair issues, and reach logs.
_MAX_ID_LENGTH = 128
_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{_MAX_ID_LENGTH - 1}}}")
# Phone numbers key the opt-out list and cooldowns; [0-9], unlike \d, is ASCII only.
_MIN_NUMBER_DIGITS = 3
_MAX_NUMBER_DIGITS = 15
_DIGITS = re.compile(rf"[0-9]{{{_MIN_NUMBER_DIGITS},{_MAX_NUMBER_DIGITS}}}")
_NUMBER = re.compile(rf"\+?({_DIGITS.pattern})")
_MAX_NUMBER = 10**_MAX_NUMBER_DIGITS
# Flowroute joins at most a few segments into one text: a longer body is a forgery.
_MAX_BODY_LENGTH = 10_000
_MAX_STATUS_LENGTH = 64
_MAX_DESCRIPTION_LENGTH = 256
_LEVELS = frozenset({1, 2})
_MAX_URL_LENGTH = 4096
_HTTP_URL = re.compile(r"(?i:https?)://\S")
_MAX_FILE_NAME_LENGTH = 255
_MAX_MIME_TYPE_LENGTH = 127
# RFC 6838's restricted names, without parameters.
_MIME_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")
# ASCII digits only, and short enough that int() is cheap and exact.
_INTEGER_DIGITS = 18
_INTEGER = re.compile(rf"[+-]?[0-9]{{1,{_INTEGER_DIGITS}}}")
# A Flowroute code (1000..1999, e.g. 1110) when only an error's prose carries it.
_CODE_IN_TEXT = re.compile(r"(?<![0-9])1[0-9]{3}(?![0-9])")
_MAX_INTEGER = 10**18
_SMIL = "application/smil"
_DESCRIBED_LENGTH = 40
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
                return _receipt(
                    _message_id(data.get("id"), "data.id"),
                    attributes,
                    where="data.attributes.",
                    legacy=False,
                )
            case other:
                raise PayloadError(
                    f"data.type must be 'message' or 'delivery_receipt', got {_describe(other)}"
                )
    if document.get("type") == "delivery_receipt":
        # Messaging v2 receipts: no data envelope, an mdr1- id.
        attributes = _object(document.get("attributes"), "attributes")
        return _receipt(
            _message_id(document.get("id"), "id"), attributes, where="attributes.", legacy=True
        )
    if "from" in document or "to" in document or "body" in document:
        # The legacy flat inbound format: the attributes are the document itself.
        message_id = _message_id(document.get("id"), "id")
        return _inbound_message(message_id, document, (), where="", legacy=True)
    raise PayloadError("not a Flowroute callback: no data envelope, receipt or message fields")


def _plain_sms(payload: object) -> InboundMessage | None:
    """Parse the common case, a v2.1 inbound SMS, in one pass; None for anything else.

    Every inbound text goes through here inside the webhook request, so it is kept to a
    few dictionary lookups and precompiled checks of the general path's rules. Whatever
    it is unsure of (media, odd types, padded or "+" numbers, any value that breaks a
    rule) it leaves to the general path, which gives the same result or the PayloadError.
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
        and _ID.fullmatch(message_id)
        and type(from_number) is str
        and from_number.isdigit()  # with isascii(): 0-9 only, faster than _DIGITS
        and from_number.isascii()
        and _MIN_NUMBER_DIGITS <= len(from_number) <= _MAX_NUMBER_DIGITS
        and type(to_number) is str
        and to_number.isdigit()
        and to_number.isascii()
        and _MIN_NUMBER_DIGITS <= len(to_number) <= _MAX_NUMBER_DIGITS
        and type(body) is str
        and len(body) <= _MAX_BODY_LENGTH
        and attributes.get("is_mms", False) is False
        and "media_urls" not in attributes
    ):
        return None
    return InboundMessage(
        message_id=message_id,
        from_number=canonical_number(from_number),
        to_number=canonical_number(to_number),
        body=body,
        timestamp=_timestamp(attributes.get("timestamp")),
        amount_nanodollars=_int(attributes.get("amount_nanodollars")),
        message_encoding=_int(attributes.get("message_encoding")),
    )


def parse_message_record(
    obj: object, *, included: object = None, receipts: bool = True
) -> MessageRecord:
    """Parse a message record: a whole `{"data": ...}` document or one resource of a list.

    `included` is the top-level `included` list of the page the resource came from; without
    `receipts` the record's delivery receipts are left out (most of the parsing's work).
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
        delivery_receipts=_record_receipts(
            message_id, attributes.get("delivery_receipts"), from_number, to_number
        )
        if receipts
        else (),
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


def parse_messages_page(document: object, *, receipts: bool = True) -> Page[MessageRecord]:
    """Parse a page of `GET /v2.1/messages` (see parse_message_record for `receipts`)."""
    page = _object(document, "the message records page")
    included = page.get("included")
    return Page(
        items=tuple(
            parse_message_record(entry, included=included, receipts=receipts)
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
        body=_inbound_body(attributes.get("body"), where),
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
    where: str,
    legacy: bool,
    sender: str | None = None,
    recipient: str | None = None,
) -> DeliveryReceipt:
    description = _text(attributes.get("status_code_description"))
    body = _text(attributes.get("body"))
    return DeliveryReceipt(
        message_id=message_id,
        status=_status(attributes.get("status"), where),
        level=_level(attributes.get("level"), where),
        status_code=_int(attributes.get("status_code")),
        status_description=None if description is None else description[:_MAX_DESCRIPTION_LENGTH],
        timestamp=_timestamp(attributes.get("timestamp")),
        from_number=_number(attributes.get("from")) or sender,
        to_number=_number(attributes.get("to")) or recipient,
        body=body if body is None or len(body) <= _MAX_BODY_LENGTH else None,
        legacy=legacy,
    )


def _record_receipts(
    message_id: str, receipts: object, sender: str, recipient: str
) -> tuple[DeliveryReceipt, ...]:
    """Receipts inside a record; they carry neither id nor numbers: they are the record's."""
    if not isinstance(receipts, list):
        return ()
    parsed: list[DeliveryReceipt] = []
    for index, receipt in enumerate(receipts):
        if isinstance(receipt, dict):
            # One odd receipt must not cost the record (and a reconciliation with it).
            with suppress(PayloadError):
                parsed.append(
                    _receipt(
                        message_id,
                        receipt,
                        where=f"attributes.delivery_receipts[{index}].",
                        legacy=False,
                        sender=sender,
                        recipient=recipient,
                    )
                )
    return tuple(parsed)


def _included_media(resource: JSONObject, included: object) -> tuple[MediaItem, ...]:
    """Media of an MMS from the top-level `included` list, minus SMIL layout parts."""
    if not isinstance(included, list):
        return ()
    wanted = _related_media_ids(resource)
    items: list[MediaItem] = []
    for entry in included:
        if not isinstance(entry, dict) or entry.get("type") != "media":
            continue
        if wanted is not None and _media_id(entry.get("id")) not in wanted:
            continue
        attributes = _optional_object(entry.get("attributes"))
        mime_type = _text(attributes.get("mime_type"))
        # Checked before the MIME type's own rules, so a SMIL part with parameters is one.
        if mime_type and mime_type[: len(_SMIL)].lower() == _SMIL:
            continue
        url = _media_url(attributes.get("url"))
        if url is None:
            continue
        items.append(
            MediaItem(
                url=url,
                mime_type=_mime_type(mime_type),
                file_name=_file_name(attributes.get("file_name")),
                file_size=_int(attributes.get("file_size")),
            )
        )
        if len(items) == MAX_MEDIA_ITEMS:
            break
    return tuple(items)


def _related_media_ids(resource: JSONObject) -> set[str] | None:
    """Ids named by `relationships.media.data`, or None when the resource names none."""
    relationships = _optional_object(resource.get("relationships"))
    data = _optional_object(relationships.get("media")).get("data")
    if not isinstance(data, list):
        return None
    ids = (_media_id(entry.get("id")) for entry in data if isinstance(entry, dict))
    return {media_id for media_id in ids if media_id is not None}


def _url_media(attributes: JSONObject) -> tuple[MediaItem, ...]:
    """Media given as a plain `media_urls` list (legacy flat format, records)."""
    urls = attributes.get("media_urls")
    if not isinstance(urls, list):
        return ()
    items: list[MediaItem] = []
    for value in urls:
        if (url := _media_url(value)) is not None:
            items.append(MediaItem(url=url))
            if len(items) == MAX_MEDIA_ITEMS:
                break
    return tuple(items)


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
    if isinstance(value, str) and (stripped := value.strip()):
        if _ID.fullmatch(stripped):
            return stripped
        raise PayloadError(
            f"{where} must be at most {_MAX_ID_LENGTH} ASCII letters, digits and ._:-"
            f" starting with a letter or digit, got {_describe(value)}"
        )
    raise PayloadError(f"{where} must be a non-empty string, got {_describe(value)}")


def _media_id(value: object) -> str | None:
    if isinstance(value, str) and _ID.fullmatch(stripped := value.strip()):
        return stripped
    return None


def _required_number(attributes: JSONObject, key: str, where: str) -> str:
    value = attributes.get(key)
    number = _number(value)
    if number is None:
        # The value itself stays out: it is untrusted text that may end up in a log.
        raise PayloadError(
            f"{where}{key} must be a phone number of {_MIN_NUMBER_DIGITS} to"
            f" {_MAX_NUMBER_DIGITS} digits, got {_kind(value)}"
        )
    return number


def _number(value: object) -> str | None:
    """Read a phone number as Flowroute sends it: a digit string, sometimes a JSON number."""
    if type(value) is int:  # not a bool
        if not 0 < value < _MAX_NUMBER:
            return None
        value = str(value)
    if type(value) is not str:
        return None
    if (
        value.isdigit()
        and value.isascii()
        and _MIN_NUMBER_DIGITS <= len(value) <= _MAX_NUMBER_DIGITS
    ):
        return canonical_number(value)  # the usual case, "12065550100", without the pattern
    match = _NUMBER.fullmatch(value.strip())
    return canonical_number(match[1]) if match else None


def _inbound_body(value: object, where: str) -> str:
    body = _text(value) or ""
    if len(body) > _MAX_BODY_LENGTH:
        raise PayloadError(
            f"{where}body has {len(body)} characters, more than the {_MAX_BODY_LENGTH}"
            " a text message can have"
        )
    return body


def _status(value: object, where: str) -> str:
    if isinstance(value, str):
        status = value.strip()
        if status and len(status) <= _MAX_STATUS_LENGTH and status.isprintable():
            return status
    raise PayloadError(
        f"{where}status must be a non-empty text of at most {_MAX_STATUS_LENGTH}"
        f" printable characters, got {_describe(value)}"
    )


def _level(value: object, where: str) -> int | None:
    if value is None:
        return None
    if (level := _int(value)) in _LEVELS:
        return level
    raise PayloadError(f"{where}level must be 1 or 2, got {_describe(value)}")


def _media_url(value: object) -> str | None:
    if (
        isinstance(value, str)
        and len(value) <= _MAX_URL_LENGTH
        and _HTTP_URL.match(value)
        and value.isprintable()
    ):
        return value
    return None


def _file_name(value: object) -> str | None:
    if isinstance(value, str) and len(value) <= _MAX_FILE_NAME_LENGTH and value.isprintable():
        return value or None
    return None


def _mime_type(value: str | None) -> str | None:
    if value is not None and len(value) <= _MAX_MIME_TYPE_LENGTH and _MIME_TYPE.fullmatch(value):
        return value
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    # type() rather than isinstance(): a bool is no integer here, and it is faster.
    if type(value) is str:
        if value.isdigit() and value.isascii() and len(value) <= _INTEGER_DIGITS:
            return int(value)  # the usual case, "4000000", without the pattern
        # int() strips less than str.strip() does ("\x1c12"): convert what was checked.
        stripped = value.strip()
        return int(stripped) if _INTEGER.fullmatch(stripped) else None
    if type(value) is int:
        return value if -_MAX_INTEGER < value < _MAX_INTEGER else None
    return None


def _flag(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _timestamp(value: object) -> datetime | None:
    """Read a timestamp as an aware UTC datetime; one without an offset is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is UTC:  # "Z", as Flowroute writes them: nothing to convert
            return parsed
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _describe(value: object) -> str:
    """Name a bad value for an error: a short escaped prefix of a string, else its kind."""
    if isinstance(value, str):
        if len(value) <= _DESCRIBED_LENGTH:
            return repr(value)
        return f"{value[:_DESCRIBED_LENGTH]!r}..."
    return _kind(value)


def _kind(value: object) -> str:
    """Name a bad value's kind only (a string's length, never its text)."""
    if value is None:
        return "null or nothing"
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    return _JSON_KINDS.get(type(value), type(value).__name__)

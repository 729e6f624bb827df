"""Flowroute payloads, verbatim from /work/shared/flowroute-api.md unless said otherwise.

The builders at the end make the same payloads with chosen ids, numbers, bodies and
media, in each shape: the v2.1 SMS that the parser's fast path takes, and the shapes
only its general path reads (legacy flat, MMS, receipts).
"""

import copy
from typing import Any, Final

INBOUND_SMS: dict[str, Any] = {
    "data": {
        "id": "mdr2-0c3f...",
        "type": "message",
        "attributes": {
            "amount_display": "$0.0040",
            "amount_nanodollars": "4000000",
            "body": "Hello",
            "direction": "inbound",
            "from": "12065550100",
            "is_mms": False,
            "message_callback_url": "https://.../api/webhook/abc",
            "message_encoding": 0,
            "message_type": "longcode",
            "status": "delivered",
            "timestamp": "2026-11-02T18:22:41.52Z",
            "to": "12065550199",
        },
    }
}

INBOUND_MMS: dict[str, Any] = {
    "data": {
        "id": "mdr2-...",
        "type": "message",
        "attributes": {
            "body": None,
            "is_mms": True,
            "direction": "inbound",
            "from": "12065550100",
            "to": "12065550199",
            "amount_nanodollars": 19500000,
            "delivery_receipts": [],
            "message_encoding": 0,
            "message_type": "longcode",
            "status": "",
            "timestamp": "2026-11-02T18:25:03.00Z",
        },
        "relationships": {"media": {"data": [{"id": "m-1", "type": "media"}]}},
    },
    "included": [
        {
            "id": "m-1",
            "type": "media",
            "attributes": {
                "file_name": "IMG_0001.jpg",
                "file_size": 48213,
                "mime_type": "image/jpeg",
                "url": "https://<temporary storage>/...",
            },
            "links": {"self": "https://api.flowroute.com/v2.2/media/m-1"},
        }
    ],
}

# Not in the reference: an MMS whose `included` also holds a text part, its SMIL layout
# and an entry of another type, as the reference warns real payloads do.
INBOUND_MMS_WITH_PARTS: dict[str, Any] = {
    "data": {
        "id": "mdr2-5a1b",
        "type": "message",
        "attributes": {
            "body": "Look",
            "is_mms": True,
            "direction": "inbound",
            "from": "12065550100",
            "to": "12065550199",
        },
        "relationships": {
            "media": {
                "data": [
                    {"id": "m-1", "type": "media"},
                    {"id": "m-2", "type": "media"},
                    {"id": "m-3", "type": "media"},
                ]
            }
        },
    },
    "included": [
        {
            "id": "m-1",
            "type": "media",
            "attributes": {"mime_type": "application/smil", "url": "https://s/layout.smil"},
        },
        {
            "id": "m-2",
            "type": "media",
            "attributes": {
                "file_name": "IMG_0002.png",
                "file_size": "1200",
                "mime_type": "image/png",
                "url": "https://s/IMG_0002.png",
            },
        },
        {
            "id": "m-3",
            "type": "media",
            "attributes": {"mime_type": "text/plain", "url": "https://s/text_0.txt"},
        },
        {"id": "m-9", "type": "media", "attributes": {"url": "https://s/other-message.jpg"}},
        {"id": "x-1", "type": "account", "attributes": {"url": "https://s/not-media"}},
    ],
}

LEGACY_INBOUND: dict[str, Any] = {
    "to": "12065550199",
    "from": "12065550100",
    "body": "Hello",
    "id": "mdr2-0c3f...",
}

# The reference's receipts carry the placeholder "mdr2-<id of the sent message>", which is
# no valid id: the id of SEND_ACCEPTED below stands in for it.
RECEIPT_LEVEL_2: dict[str, Any] = {
    "data": {
        "id": "mdr2-39cadeace66e11e7aff806cd7f24ba2d",
        "type": "delivery_receipt",
        "attributes": {
            "body": "Garage door is open",
            "level": 2,
            "status": "delivery success",
            "status_code": 1004,
            "status_code_description": "Message delivered to handset",
            "timestamp": "2026-11-02T18:22:44+00:00",
        },
        "links": {"related": "https://api.flowroute.com/v2.1/messages/mdr2-..."},
    }
}

# Level 1 as the reference describes it ("smsc submit", status_code often null).
RECEIPT_LEVEL_1: dict[str, Any] = {
    "data": {
        "id": "mdr2-39cadeace66e11e7aff806cd7f24ba2d",
        "type": "delivery_receipt",
        "attributes": {
            "body": "Garage door is open",
            "level": 1,
            "status": "smsc submit",
            "status_code": None,
            "status_code_description": None,
            "timestamp": "2026-11-02T18:22:42.1Z",
        },
    }
}

LEGACY_RECEIPT: dict[str, Any] = {
    "attributes": {
        "status": "delivered",
        "status_code": "1003",
        "from": "18551231234",
        "to": "19144401234",
        "body": "hello there",
    },
    "type": "delivery_receipt",
    "id": "mdr1-14bdef7399f14a42a4f4715182451fe7",
}

# Shapes below follow the reference's prose; Flowroute's docs show no full example.
NUMBERS_PAGE: dict[str, Any] = {
    "data": [
        {
            "id": "12065550199",
            "type": "number",
            "attributes": {
                "value": "12065550199",
                "alias": None,
                "number_type": "longcode",
                "rate_center": "seattle",
                "state": "wa",
            },
        }
    ],
    "links": {"next": "..."},
}

SEND_ACCEPTED: dict[str, Any] = {
    "data": {
        "id": "mdr2-39cadeace66e11e7aff806cd7f24ba2d",
        "type": "message",
        "links": {
            "self": "https://api.flowroute.com/v2.1/messages/mdr2-39cadeace66e11e7aff806cd7f24ba2d"
        },
    }
}

MESSAGE_RECORD: dict[str, Any] = {
    "data": {
        "id": "mdr2-39cadeace66e11e7aff806cd7f24ba2d",
        "type": "message",
        "attributes": {
            "amount_display": "$0.0040",
            "amount_nanodollars": 4000000,
            "body": "Garage door is open",
            "delivery_receipts": [
                {
                    "level": 1,
                    "status": "smsc submit",
                    "status_code": None,
                    "status_code_description": "Message sent to SMSC",
                    "timestamp": "2026-11-02T18:22:42.10Z",
                },
                {
                    "level": 2,
                    "status": "delivery success",
                    "status_code": "1004",
                    "status_code_description": "Message delivered to handset",
                    "timestamp": "2026-11-02T18:22:44+00:00",
                },
            ],
            "direction": "outbound",
            "from": "12065550199",
            "is_mms": False,
            "message_encoding": 0,
            "message_type": "longcode",
            "status": "delivered",
            "timestamp": "2026-11-02T18:22:41.980000Z",
            "to": "12065550100",
        },
        "links": {
            "self": "https://api.flowroute.com/v2.1/messages/mdr2-39cadeace66e11e7aff806cd7f24ba2d"
        },
    }
}

ERROR_405: dict[str, Any] = {
    "errors": [
        {
            "id": "a72cab15-...",
            "status": 405,
            "title": "Method Not Allowed",
            "detail": "The method is not allowed for the requested URL.",
        }
    ]
}

VALID_CALLBACKS: dict[str, dict[str, Any]] = {
    "sms": INBOUND_SMS,
    "mms": INBOUND_MMS,
    "mms_parts": INBOUND_MMS_WITH_PARTS,
    "legacy_inbound": LEGACY_INBOUND,
    "receipt_level_1": RECEIPT_LEVEL_1,
    "receipt_level_2": RECEIPT_LEVEL_2,
    "legacy_receipt": LEGACY_RECEIPT,
}


def error_body(status: int, title: str | None, detail: object, **extra: object) -> dict[str, Any]:
    """Return a Flowroute error body with one error (no title key when title is None)."""
    error: dict[str, Any] = {"id": "a72cab15-0000", "status": status, "detail": detail, **extra}
    if title is not None:
        error["title"] = title
    return {"errors": [error]}


# Builders. ABSENT as a value leaves the key out.
ABSENT: Final = object()


def _set(target: dict[str, Any], **values: Any) -> None:
    for key, value in values.items():
        if value is ABSENT:
            target.pop(key, None)
        else:
            target[key] = value


def sms(
    message_id: Any = "mdr2-0c3f...",
    from_: Any = "12065550100",
    to: Any = "12065550199",
    body: Any = "Hello",
) -> dict[str, Any]:
    """Return the reference's v2.1 inbound SMS (the fast path's shape) with these values."""
    payload = copy.deepcopy(INBOUND_SMS)
    _set(payload["data"], id=message_id)
    _set(payload["data"]["attributes"], **{"from": from_, "to": to, "body": body})
    return payload


def legacy_sms(
    message_id: Any = "mdr2-0c3f...",
    from_: Any = "12065550100",
    to: Any = "12065550199",
    body: Any = "Hello",
) -> dict[str, Any]:
    """Return the legacy flat inbound message with these values."""
    payload = copy.deepcopy(LEGACY_INBOUND)
    _set(payload, **{"id": message_id, "from": from_, "to": to, "body": body})
    return payload


def media_entry(index: int, **attributes: Any) -> dict[str, Any]:
    """Return one `included` media entry, `m-<index>`, a JPEG unless told otherwise."""
    values: dict[str, Any] = {
        "file_name": f"IMG_{index:04}.jpg",
        "file_size": 48213,
        "mime_type": "image/jpeg",
        "url": f"https://s/IMG_{index:04}.jpg",
    }
    _set(values, **attributes)
    return {"id": f"m-{index}", "type": "media", "attributes": values}


def mms(
    entries: list[dict[str, Any]],
    *,
    message_id: Any = "mdr2-5a1b",
    from_: Any = "12065550100",
    related: bool = True,
    **attributes: Any,
) -> dict[str, Any]:
    """Return a v2.1 inbound MMS whose `included` list is `entries`.

    With `related`, `relationships.media` names every entry (as Flowroute does).
    """
    payload = copy.deepcopy(INBOUND_MMS)
    payload["data"]["id"] = message_id
    _set(payload["data"]["attributes"], **{"from": from_}, **attributes)
    if related:
        payload["data"]["relationships"]["media"]["data"] = [
            {"id": entry.get("id"), "type": "media"} for entry in entries
        ]
    else:
        del payload["data"]["relationships"]
    payload["included"] = entries
    return payload


def jpegs(count: int) -> list[dict[str, Any]]:
    """Return `count` media entries m-0, m-1, ..."""
    return [media_entry(index) for index in range(count)]


def legacy_mms(urls: list[Any], message_id: Any = "mdr2-0c3f...") -> dict[str, Any]:
    """Return a legacy flat MMS with a `media_urls` list."""
    return {**legacy_sms(message_id, body=None), "is_mms": True, "media_urls": urls}


def receipt(
    message_id: Any = "mdr2-39cadeace66e11e7aff806cd7f24ba2d", **attributes: Any
) -> dict[str, Any]:
    """Return the reference's v2.1 level 2 receipt with these attributes."""
    payload = copy.deepcopy(RECEIPT_LEVEL_2)
    _set(payload["data"], id=message_id)
    _set(payload["data"]["attributes"], **attributes)
    return payload


def legacy_receipt(
    message_id: Any = "mdr1-14bdef7399f14a42a4f4715182451fe7", **attributes: Any
) -> dict[str, Any]:
    """Return the reference's Messaging v2 receipt with these attributes."""
    payload = copy.deepcopy(LEGACY_RECEIPT)
    _set(payload, id=message_id)
    _set(payload["attributes"], **attributes)
    return payload

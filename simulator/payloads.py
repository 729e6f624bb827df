"""The JSON documents Flowroute produces: errors, numbers, records, inbound posts, receipts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

from .receipts import DELIVERED, Receipt
from .state import Direction, MessageRecord, SimNumber

JSON_API = "application/vnd.api+json"
_NANO = Decimal(1_000_000_000)
_LEGACY_DELIVERED_CODE = "1003"  # what the reference's v2 "delivered" example carries

type Document = dict[str, Any]


def message_timestamp(moment: datetime) -> str:
    """Format like Flowroute's messages: "2026-11-02T18:22:41.52Z" (centiseconds)."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 10_000:02d}Z"


def receipt_timestamp(moment: datetime) -> str:
    """Format like Flowroute's receipts: "2026-11-02T18:22:44+00:00"."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def amount_display(nanodollars: int) -> str:
    """Format a price like Flowroute: "$0.0040"."""
    return f"${Decimal(nanodollars) / _NANO:.4f}"


def error_document(
    status: int, title: str, detail: str | dict[str, Any], code: int | None = None
) -> Document:
    """Flowroute's error body; a numeric error code goes in the error object."""
    error: Document = {"id": str(uuid4()), "status": status, "title": title, "detail": detail}
    if code is not None:
        error["code"] = code
    return {"errors": [error]}


def page_links(url: str, query: dict[str, str], *, limit: int, offset: int, total: int) -> Document:
    """Pagination links: `first` always, `next` while more items follow."""
    links = {"first": f"{url}?{urlencode(query | {'limit': limit, 'offset': 0})}"}
    if offset + limit < total:
        links["next"] = f"{url}?{urlencode(query | {'limit': limit, 'offset': offset + limit})}"
    return links


def number_resource(number: SimNumber, base_url: str) -> Document:
    """One item of GET /v2/numbers."""
    return {
        "id": number.number,
        "type": "number",
        "attributes": {
            "alias": number.alias,
            "cnam_lookups_enabled": False,
            "number_type": number.number_type,
            "rate_center": number.rate_center,
            "state": number.state,
            "value": number.number,
        },
        "links": {"self": f"{base_url}/v2/numbers/{number.number}"},
    }


def message_link(record: MessageRecord, base_url: str) -> str:
    """Return the URL of a message record."""
    return f"{base_url}/v2.1/messages/{record.message_id}"


def accepted_document(record: MessageRecord, base_url: str) -> Document:
    """Build the 202 answer to a send."""
    return {
        "data": {
            "id": record.message_id,
            "type": "message",
            "links": {"self": message_link(record, base_url)},
        }
    }


def receipt_attributes(receipt: Receipt) -> Document:
    """Build a receipt as listed in a message record."""
    return {
        "level": receipt.level,
        "status": receipt.status,
        "status_code": receipt.status_code,
        "status_code_description": receipt.description,
        "timestamp": receipt_timestamp(receipt.timestamp),
    }


def message_resource(record: MessageRecord, base_url: str) -> Document:
    """Build a message detail record, as GET /v2.1/messages returns it."""
    return {
        "id": record.message_id,
        "type": "message",
        "attributes": {
            "amount_display": amount_display(record.amount_nanodollars),
            "amount_nanodollars": record.amount_nanodollars,
            "body": record.body,
            "callback_url": record.dlr_callback,
            "delivery_receipts": [receipt_attributes(receipt) for receipt in record.receipts],
            "direction": record.direction.value,
            "from": record.from_number,
            "is_mms": record.is_mms,
            "media_urls": [media.url for media in record.media],
            "message_encoding": record.encoding.code,
            "message_type": record.message_type,
            "status": record.status,
            "timestamp": message_timestamp(record.timestamp),
            "to": record.to_number,
        },
        "links": {"self": message_link(record, base_url)},
    }


def inbound_document(record: MessageRecord, callback_url: str, base_url: str) -> Document:
    """Build the v2.1 post of an inbound SMS or MMS, shaped like the reference's examples."""
    if not record.is_mms:
        return {
            "data": {
                "id": record.message_id,
                "type": "message",
                "attributes": {
                    "amount_display": amount_display(record.amount_nanodollars),
                    "amount_nanodollars": str(record.amount_nanodollars),
                    "body": record.body,
                    "direction": Direction.INBOUND.value,
                    "from": record.from_number,
                    "is_mms": False,
                    "message_callback_url": callback_url,
                    "message_encoding": record.encoding.code,
                    "message_type": record.message_type,
                    "status": record.status,
                    "timestamp": message_timestamp(record.timestamp),
                    "to": record.to_number,
                },
            }
        }
    return {
        "data": {
            "id": record.message_id,
            "type": "message",
            "attributes": {
                "body": record.body or None,
                "is_mms": True,
                "direction": Direction.INBOUND.value,
                "from": record.from_number,
                "to": record.to_number,
                "amount_nanodollars": record.amount_nanodollars,
                "delivery_receipts": [],
                "message_encoding": record.encoding.code,
                "message_type": record.message_type,
                "status": record.status,
                "timestamp": message_timestamp(record.timestamp),
            },
            "relationships": {
                "media": {
                    "data": [{"id": media.media_id, "type": "media"} for media in record.media]
                }
            },
        },
        "included": [
            {
                "id": media.media_id,
                "type": "media",
                "attributes": {
                    "file_name": media.file_name,
                    "file_size": media.size,
                    "mime_type": media.mime_type,
                    "url": media.url,
                },
                "links": {"self": f"{base_url}/v2.2/media/{media.media_id}"},
            }
            for media in record.media
        ],
    }


def legacy_inbound_document(record: MessageRecord) -> Document:
    """Build the legacy flat post of an inbound message (no data envelope)."""
    document: Document = {
        "to": record.to_number,
        "from": record.from_number,
        "body": record.body,
        "id": record.message_id,
    }
    if record.is_mms:
        document["is_mms"] = True
        document["media_urls"] = [media.url for media in record.media]
    return document


def receipt_document(record: MessageRecord, receipt: Receipt, base_url: str) -> Document:
    """Build a v2.1 delivery receipt post; MMS receipts carry an empty body."""
    return {
        "data": {
            "id": record.message_id,
            "type": "delivery_receipt",
            "attributes": {
                "body": "" if record.is_mms else record.body,
                "level": receipt.level,
                "status": receipt.status,
                "status_code": receipt.status_code,
                "status_code_description": receipt.description,
                "timestamp": receipt_timestamp(receipt.timestamp),
            },
            "links": {"related": message_link(record, base_url)},
        }
    }


def legacy_receipt_document(record: MessageRecord, receipt: Receipt) -> Document:
    """Build a Messaging v2 receipt: no envelope, an mdr1- id sharing the message's hex."""
    attributes: Document = {"status": "sent"}
    if receipt.level == 2:  # noqa: PLR2004
        if receipt.status_code == DELIVERED:
            attributes = {"status": "delivered", "status_code": _LEGACY_DELIVERED_CODE}
        else:
            attributes = {"status": "undelivered", "status_code": str(receipt.status_code)}
    attributes |= {
        "from": record.from_number,
        "to": record.to_number,
        "body": "" if record.is_mms else record.body,
    }
    return {
        "attributes": attributes,
        "type": "delivery_receipt",
        "id": "mdr1-" + record.message_id.removeprefix("mdr2-"),
    }

"""What the integration publishes: received messages, receipt updates, send notices.

These are built once by the deciding modules (the inbound router, the receipt tracker,
the send outcomes) and handed to the bus (as event data) and to entities (through the
dispatcher).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from .api import DeliveryState, InboundMessage, MediaItem


class Route(StrEnum):
    """Which routing step of the inbound router handled a text (`handled_by`)."""

    KEYWORD = "keyword"
    QUESTION = "question"
    ASSIST = "assist"


class Keyword(StrEnum):
    """What a single-word inbound text asks for."""

    STOP = "stop"
    START = "start"
    HELP = "help"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedMedia:
    """One media item of an inbound MMS, with where it was saved once downloaded."""

    url: str
    mime_type: str | None
    file_name: str | None
    file_size: int | None
    local_path: str | None = None
    media_content_id: str | None = None

    @classmethod
    def from_item(cls, item: MediaItem) -> ReceivedMedia:
        """Return the item as Flowroute sent it: its (temporary) URL, nothing saved."""
        return cls(
            url=item.url,
            mime_type=item.mime_type,
            file_name=item.file_name,
            file_size=item.file_size,
        )

    def as_event_data(self) -> dict[str, Any]:
        """Return the event form; local fields only once downloaded."""
        data: dict[str, Any] = {
            "url": self.url,
            "mime_type": self.mime_type,
            "file_name": self.file_name,
            "file_size": self.file_size,
        }
        if self.local_path is not None:
            data["local_path"] = self.local_path
            data["media_content_id"] = self.media_content_id
        return data


def remote_media(message: InboundMessage) -> tuple[ReceivedMedia, ...]:
    """Return the message's media as Flowroute sent it, when nothing is (or could be) saved.

    The parser has already left out the carrier's SMIL layout parts.
    """
    return tuple(ReceivedMedia.from_item(item) for item in message.media)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedMessage:
    """An inbound SMS or MMS to one of the entry's numbers."""

    config_entry_id: str
    message_id: str
    from_number: str
    to_number: str
    body: str
    is_mms: bool
    media: tuple[ReceivedMedia, ...]
    timestamp: datetime
    keyword: Keyword | None
    handled_by: Route | None = None

    def as_event_data(self) -> dict[str, Any]:
        """Return the `flowroute_message_received` event data (public contract)."""
        return {
            "message_id": self.message_id,
            "from": self.from_number,
            "to": self.to_number,
            "body": self.body,
            "is_mms": self.is_mms,
            "media": [item.as_event_data() for item in self.media],
            "timestamp": self.timestamp.isoformat(),
            "keyword": None if self.keyword is None else str(self.keyword),
            "handled_by": None if self.handled_by is None else str(self.handled_by),
            "config_entry_id": self.config_entry_id,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptUpdate:
    """A delivery receipt and the state it leaves its message in."""

    config_entry_id: str
    message_id: str
    to_number: str | None
    from_number: str | None
    level: int | None
    status: str
    status_code: int | None
    status_description: str | None
    state: DeliveryState
    timestamp: datetime
    changed: bool

    def as_event_data(self) -> dict[str, Any]:
        """Return the `flowroute_delivery_receipt` event data (public contract)."""
        return {
            "message_id": self.message_id,
            "to": self.to_number,
            "from": self.from_number,
            "level": self.level,
            "status": self.status,
            "status_code": self.status_code,
            "status_description": self.status_description,
            "state": str(self.state),
            "timestamp": self.timestamp.isoformat(),
            "config_entry_id": self.config_entry_id,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SentNotice:
    """The outbox handed a message to Flowroute, or gave up on it."""

    config_entry_id: str
    message_id: str | None
    to_number: str
    from_number: str
    is_mms: bool
    segments: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RecentError:
    """A send that failed or a callback that was refused, as diagnostics list it."""

    at: datetime
    kind: str  # the failure reason of a send, or "callback_rejected"
    code: int | None  # Flowroute's error code of a send; the HTTP status we answered
    description: str  # one line, never a message body

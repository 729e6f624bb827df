"""Typed models of what Flowroute sends and returns."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

OPTED_OUT_CODE = 1110
# Media items one message keeps: a real MMS has a few parts; a forged callback could list
# thousands, and each is downloaded and published.
MAX_MEDIA_ITEMS = 10
DELIVERED_CODE = 1004
_DELIVERED_STATUSES = frozenset({"delivery success", "delivered"})
_FAILED_STATUSES = frozenset(
    {"delivery failure", "undelivered", "smsc reject", "rejected", "expired", "failed"}
)
# Rejected, expired, failed, permanent error, then the carrier and system error blocks.
_FAILED_CODES = (range(1005, 1009), range(1100, 1300))


class CallbackType(StrEnum):
    """The callbacks a number or the account can point at a URL."""

    SMS = "sms_callback"
    MMS = "mms_callback"
    SMS_DLR = "sms_dlr_callback"
    MMS_DLR = "mms_dlr_callback"


class DeliveryState(StrEnum):
    """Where a sent message stands, as far as its receipts tell (the first final one wins)."""

    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    OPTED_OUT = "opted_out"


@dataclass(frozen=True, slots=True, kw_only=True)
class PhoneNumber:
    """A number (DID) of the account."""

    number: str
    alias: str | None = None
    number_type: str | None = None
    rate_center: str | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SentMessage:
    """Flowroute's answer to an accepted send."""

    message_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaItem:
    """One media file of an MMS; inbound URLs are temporary."""

    url: str
    mime_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessage:
    """An SMS or MMS that Flowroute posted to the message callback.

    The parser bounds what comes from outside: the id, both numbers (digits, in
    canonical_number's form), the body and at most MAX_MEDIA_ITEMS media items.
    """

    message_id: str
    from_number: str
    to_number: str
    body: str = ""
    is_mms: bool = False
    media: tuple[MediaItem, ...] = ()
    timestamp: datetime | None = None
    amount_nanodollars: int | None = None
    message_encoding: int | None = None
    legacy: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReceipt:
    """A level 1 or level 2 delivery receipt of a sent message."""

    message_id: str
    status: str
    level: int | None = None
    status_code: int | None = None
    status_description: str | None = None
    timestamp: datetime | None = None
    from_number: str | None = None
    to_number: str | None = None
    body: str | None = None
    legacy: bool = False

    @property
    def outcome(self) -> DeliveryState:
        """Reduce the status and code to the four states the integration tracks."""
        code = self.status_code
        status = self.status.strip().lower()
        if code == OPTED_OUT_CODE:
            return DeliveryState.OPTED_OUT
        if code == DELIVERED_CODE or status in _DELIVERED_STATUSES:
            return DeliveryState.DELIVERED
        if status in _FAILED_STATUSES or (
            code is not None and any(code in codes for codes in _FAILED_CODES)
        ):
            return DeliveryState.FAILED
        return DeliveryState.SENT


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRecord:
    """A message detail record (MDR) from the message records API."""

    message_id: str
    direction: str
    from_number: str
    to_number: str
    body: str = ""
    is_mms: bool = False
    media_urls: tuple[str, ...] = ()
    status: str = ""
    timestamp: datetime | None = None
    amount_nanodollars: int | None = None
    message_encoding: int | None = None
    message_type: str | None = None
    delivery_receipts: tuple[DeliveryReceipt, ...] = ()

"""The simulator's state: accounts, message records, callbacks, opt-outs, rate windows, logs."""

from __future__ import annotations

import hmac
from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from .faults import FaultBook
from .receipts import Receipt, ReceiptBook
from .rules import (
    Encoding,
    OptKeyword,
    body_encoding,
    count_segments,
    number_problem,
    opt_keyword,
    price_nanodollars,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SimNumber:
    """A phone number (DID) of a simulated account."""

    number: str
    messaging_enabled: bool = True
    alias: str | None = None
    number_type: str = "longcode"
    rate_center: str = "seattle"
    state: str = "wa"

    def __post_init__(self) -> None:
        """Refuse a number Flowroute would not have."""
        if problem := number_problem(self.number):
            raise ValueError(f"number {self.number!r} {problem}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """A Flowroute account: API credentials and its numbers."""

    access_key: str
    secret_key: str
    numbers: tuple[SimNumber, ...]

    @classmethod
    def with_numbers(cls, access_key: str, secret_key: str, *numbers: str) -> Account:
        """Build an account whose numbers are all enabled for messaging."""
        return cls(
            access_key=access_key,
            secret_key=secret_key,
            numbers=tuple(SimNumber(number=number) for number in numbers),
        )


DEFAULT_ACCOUNT = Account(
    access_key="12345678",
    secret_key="sim-secret-key",  # noqa: S106 - a simulator credential, published on purpose
    numbers=(
        SimNumber(number="12065550199"),
        SimNumber(number="12065550188"),
        SimNumber(number="12065550177", messaging_enabled=False),
    ),
)


class Direction(StrEnum):
    """Which way a message went, seen from the account."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageKind(StrEnum):
    """SMS or MMS: they have separate rate limits, callbacks and prices."""

    SMS = "sms"
    MMS = "mms"


class CallbackKind(StrEnum):
    """The four callback URLs of a number or an account."""

    SMS = "sms_callback"
    MMS = "mms_callback"
    SMS_DLR = "sms_dlr_callback"
    MMS_DLR = "mms_dlr_callback"

    @classmethod
    def inbound(cls, kind: MessageKind) -> CallbackKind:
        """Return the callback inbound messages of `kind` go to."""
        return cls.MMS if kind is MessageKind.MMS else cls.SMS

    @classmethod
    def receipts(cls, kind: MessageKind) -> CallbackKind:
        """Return the callback receipts for sent messages of `kind` go to."""
        return cls.MMS_DLR if kind is MessageKind.MMS else cls.SMS_DLR


class CallbackEvent(StrEnum):
    """What a callback post carried."""

    INBOUND = "inbound"
    RECEIPT = "receipt"


def new_message_id() -> str:
    """Return a fresh Messaging v2.1 message id."""
    return "mdr2-" + uuid4().hex


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaFile:
    """A media part of an MMS: fetched for a send, or served by the simulator for an inbound."""

    media_id: str
    url: str
    mime_type: str
    file_name: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredMedia:
    """Bytes the simulator serves at /sim/media/{media_id} (inbound MMS media)."""

    media_id: str
    content: bytes
    mime_type: str
    file_name: str


@dataclass(slots=True, kw_only=True)
class MessageRecord:
    """A message detail record (MDR), inbound or outbound."""

    message_id: str
    access_key: str
    direction: Direction
    from_number: str
    to_number: str
    body: str | None
    is_mms: bool
    media: tuple[MediaFile, ...]
    timestamp: datetime
    encoding: Encoding
    segments: int
    amount_nanodollars: int
    message_type: str
    dlr_callback: str | None = None
    receipts: list[Receipt] = field(default_factory=list)
    posted_to: str | None = None  # inbound: the callback it was posted to, if any
    seeded: bool = False  # history made up for tests and the demo (not on the phone page)

    @classmethod
    def create(
        cls,
        *,
        access_key: str,
        direction: Direction,
        from_number: str,
        to_number: str,
        body: str | None,
        media: tuple[MediaFile, ...],
        is_mms: bool,
        timestamp: datetime,
        message_type: str,
        dlr_callback: str | None = None,
        message_id: str | None = None,
        seeded: bool = False,
    ) -> MessageRecord:
        """Build a new record (with a fresh id unless given), its encoding, segments and price."""
        text = body or ""
        segments = count_segments(text)
        return cls(
            message_id=message_id or new_message_id(),
            access_key=access_key,
            direction=direction,
            from_number=from_number,
            to_number=to_number,
            body=body,
            is_mms=is_mms,
            media=media,
            timestamp=timestamp,
            encoding=body_encoding(text),
            segments=segments,
            amount_nanodollars=price_nanodollars(is_mms=is_mms, segments=segments),
            message_type=message_type,
            dlr_callback=dlr_callback,
            seeded=seeded,
        )

    @property
    def kind(self) -> MessageKind:
        """SMS or MMS."""
        return MessageKind.MMS if self.is_mms else MessageKind.SMS

    @property
    def status(self) -> str:
        """The record's status: the latest level-2 receipt wins over level 1."""
        if self.direction is Direction.INBOUND:
            return "" if self.is_mms else "delivered"
        for level in (2, 1):
            statuses = [receipt.status for receipt in self.receipts if receipt.level == level]
            if statuses:
                return statuses[-1]
        return "queued"


@dataclass(frozen=True, slots=True, kw_only=True)
class SendAttempt:
    """One POST /v2.1/messages, whatever came of it."""

    timestamp: datetime
    access_key: str | None  # None when authentication failed
    kind: MessageKind
    status: int | None  # None when the connection was dropped before any answer
    message_id: str | None
    to_number: str | None
    from_number: str | None
    error_code: int | None = None
    detail: str | None = None
    fault: str | None = None
    body: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackAttempt:
    """One POST to a callback URL."""

    timestamp: datetime
    event: CallbackEvent
    message_id: str
    url: str
    attempt: int  # 1 for the first post, then 2..5 for the retries
    payload: dict[str, Any]
    status: int | None  # None when no HTTP answer came
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordListing:
    """One GET /v2.1/messages that was answered: its window, its page, what it returned."""

    access_key: str
    start: datetime
    end: datetime
    limit: int
    offset: int
    returned: int
    total: int


_TIMESTAMP = attrgetter("timestamp")
MAX_RECORD_LISTINGS = 10_000  # the latest listings answered, for tests (a demo runs for days)
MAX_HANDSET_NAMES = 100  # names on the phone page: people, not a directory
MAX_HANDSET_NAME_LENGTH = 40  # fits a phone's card heading


class RateLimiter:
    """Counts attempts per key in a sliding window; rejected attempts count too."""

    def __init__(self) -> None:
        """Start with empty windows."""
        self._attempts: dict[tuple[str, MessageKind], deque[float]] = {}

    def attempt(
        self, key: tuple[str, MessageKind], *, limit: int, window: float, now: float
    ) -> bool:
        """Record an attempt at `now`; True if it is within `limit` for the last `window` s."""
        attempts = self._attempts.setdefault(key, deque())
        while attempts and attempts[0] <= now - window:
            attempts.popleft()
        attempts.append(now)
        return len(attempts) <= limit

    def reset(self) -> None:
        """Forget every attempt."""
        self._attempts.clear()


class SimulatorState:
    """Everything the simulator knows and tests assert on, without any I/O."""

    def __init__(self, accounts: Sequence[Account]) -> None:
        """Index the accounts' numbers; a number belongs to one account only."""
        if not accounts:
            raise ValueError("the simulator needs at least one account")
        self.accounts = tuple(accounts)
        self._owners: dict[str, tuple[Account, SimNumber]] = {}
        keys: set[str] = set()
        for account in self.accounts:
            if account.access_key in keys:
                raise ValueError(f"two accounts have the access key {account.access_key}")
            keys.add(account.access_key)
            for number in account.numbers:
                if number.number in self._owners:
                    raise ValueError(f"{number.number} belongs to two accounts")
                self._owners[number.number] = (account, number)
        self.messages: dict[str, MessageRecord] = {}
        # Each account's records by time (sorted when next listed), for paging a month of
        # them without sorting it for every page.
        self._timelines: dict[str, list[MessageRecord]] = {}
        self._unsorted: set[str] = set()
        self.record_listings: deque[RecordListing] = deque(maxlen=MAX_RECORD_LISTINGS)
        self.send_attempts: list[SendAttempt] = []
        self.callback_log: list[CallbackAttempt] = []
        self.media: dict[str, StoredMedia] = {}
        self.opt_outs: set[tuple[str, str]] = set()  # (account number, handset)
        self.handsets: dict[str, None] = {}  # added on the phone page, in order
        self.handset_names: dict[str, str] = {}  # at most MAX_HANDSET_NAMES
        self.number_callbacks: dict[tuple[str, CallbackKind], str] = {}
        self.account_callbacks: dict[tuple[str, CallbackKind], str] = {}
        self.faults = FaultBook()
        self.receipts = ReceiptBook()
        self.rate_limiter = RateLimiter()

    def reset(self) -> None:
        """Forget messages, callbacks, opt-outs, handsets and names, faults, receipts and logs."""
        self.messages.clear()
        self._timelines.clear()
        self._unsorted.clear()
        self.record_listings.clear()
        self.send_attempts.clear()
        self.callback_log.clear()
        self.media.clear()
        self.opt_outs.clear()
        self.handsets.clear()
        self.handset_names.clear()
        self.number_callbacks.clear()
        self.account_callbacks.clear()
        self.faults.clear()
        self.receipts.reset()
        self.rate_limiter.reset()

    def authenticate(self, access_key: str, secret_key: str) -> Account | None:
        """Return the account these credentials open, if any."""
        for account in self.accounts:
            if hmac.compare_digest(account.access_key, access_key) and hmac.compare_digest(
                account.secret_key, secret_key
            ):
                return account
        return None

    def owner(self, number: str) -> tuple[Account, SimNumber] | None:
        """Return the account holding `number` and its settings."""
        return self._owners.get(number)

    def add_handset(self, number: str) -> None:
        """Show `number` on the phone page: a handset, not a number of a simulated account."""
        if problem := number_problem(number):
            raise ValueError(f"number {number!r} {problem}")
        if self.owner(number) is not None:
            raise ValueError(f"{number} is a number of a simulated account, not a handset")
        self.handsets[number] = None

    def name_handset(self, number: str, name: str | None) -> str | None:
        """Show `number` on the phone page as `name` (None: by its number); return the name.

        The name is trimmed; empty is None. Raises ValueError for a number that is not a
        handset, a name too long or not plain text, and one name more than the bound.
        """
        name = " ".join((name or "").split()) or None
        if name is not None and (len(name) > MAX_HANDSET_NAME_LENGTH or not name.isprintable()):
            raise ValueError(f"name must be at most {MAX_HANDSET_NAME_LENGTH} printable characters")
        if (
            name is not None
            and number not in self.handset_names
            and len(self.handset_names) >= MAX_HANDSET_NAMES
        ):
            raise ValueError(f"at most {MAX_HANDSET_NAMES} handsets can have a name")
        self.add_handset(number)
        if name is None:
            self.handset_names.pop(number, None)
        else:
            self.handset_names[number] = name
        return name

    def set_number_callback(self, number: str, kind: CallbackKind, url: str) -> None:
        """Point one callback of a number at `url`."""
        self.number_callbacks[number, kind] = url

    def set_account_callback(self, access_key: str, kind: CallbackKind, url: str) -> None:
        """Point one callback of an account at `url`."""
        self.account_callbacks[access_key, kind] = url

    def callback_url(self, number: str, kind: CallbackKind) -> str | None:
        """Where a callback of `kind` for `number` goes: the number's, else its account's."""
        if url := self.number_callbacks.get((number, kind)):
            return url
        if (owner := self.owner(number)) is None:
            return None
        return self.account_callbacks.get((owner[0].access_key, kind))

    def receipt_url(self, record: MessageRecord) -> str | None:
        """Where the receipts of a sent message go: its dlr_callback, else the DLR callback."""
        if record.dlr_callback:
            return record.dlr_callback
        return self.callback_url(record.from_number, CallbackKind.receipts(record.kind))

    def add_message(self, record: MessageRecord) -> None:
        """Keep a new message record."""
        self.messages[record.message_id] = record
        timeline = self._timelines.setdefault(record.access_key, [])
        if timeline and record.timestamp < timeline[-1].timestamp:
            self._unsorted.add(record.access_key)
        timeline.append(record)

    def message(self, access_key: str, message_id: str) -> MessageRecord | None:
        """Return one of the account's records."""
        record = self.messages.get(message_id)
        if record is None or record.access_key != access_key:
            return None
        return record

    def messages_between(
        self, access_key: str, start: datetime, end: datetime
    ) -> list[MessageRecord]:
        """Return the account's records with start <= timestamp <= end, oldest first."""
        timeline, low, high = self._window(access_key, start, end)
        return timeline[low:high]

    def messages_page(
        self, access_key: str, start: datetime, end: datetime, *, limit: int, offset: int
    ) -> tuple[list[MessageRecord], int]:
        """Return one page of messages_between, and how many records the window holds."""
        timeline, low, high = self._window(access_key, start, end)
        first = low + offset
        page = timeline[first : min(first + limit, high)] if first < high else []
        self.record_listings.append(
            RecordListing(
                access_key=access_key,
                start=start,
                end=end,
                limit=limit,
                offset=offset,
                returned=len(page),
                total=high - low,
            )
        )
        return page, high - low

    def _window(
        self, access_key: str, start: datetime, end: datetime
    ) -> tuple[list[MessageRecord], int, int]:
        """Return the account's timeline and the bounds of [start, end] in it."""
        timeline = self._timelines.get(access_key, [])
        if access_key in self._unsorted:
            timeline.sort(key=_TIMESTAMP)  # stable: records of one moment keep their order
            self._unsorted.discard(access_key)
        low = bisect_left(timeline, start, key=_TIMESTAMP)
        return timeline, low, bisect_right(timeline, end, lo=low, key=_TIMESTAMP)

    def sent_messages(self) -> list[MessageRecord]:
        """Every outbound record, in the order they were accepted."""
        return [r for r in self.messages.values() if r.direction is Direction.OUTBOUND]

    def inbound_messages(self) -> list[MessageRecord]:
        """Every inbound record, in the order they arrived."""
        return [r for r in self.messages.values() if r.direction is Direction.INBOUND]

    def apply_keyword(self, number: str, handset: str, body: str | None) -> OptKeyword | None:
        """Apply STOP / UNSTOP / START texted by `handset` to `number`; return what it was."""
        keyword = opt_keyword(body)
        if keyword is OptKeyword.OPT_OUT:
            self.opt_outs.add((number, handset))
        elif keyword is OptKeyword.OPT_IN:
            self.opt_outs.discard((number, handset))
        return keyword

    def is_opted_out(self, number: str, handset: str) -> bool:
        """Whether `handset` has blocked texts from `number`."""
        return (number, handset) in self.opt_outs

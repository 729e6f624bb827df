"""The conversation store: the texts to and from an entry's numbers, for the Texts panel.

One conversation per (DID, number). The deciding modules tell the store directly: the
inbound router of each text it published (pictures as the media-source ids of the files
downloaded, never Flowroute's expiring links), the send path of each text it queued or
refused, with what sent it (`origin`), the send outcomes of what Flowroute accepted or
the outbox gave up on, and the receipt tracker of each delivery state. The store tells
the panel's websocket subscriptions (websocket_api.py) through one dispatcher signal.

Texts come from unsigned callbacks, so everything is bounded per entry: messages older
than the `conversation_days` option, beyond `conversation_max_messages` or beyond
MAX_CHARACTERS of bodies go, oldest first; a conversation exists only while it holds a
message, so conversations are bounded too; every field has a length bound.

Kept in a Store, written in the background and on unload. With `keep_conversations` off
nothing is written (the saved file is removed) and what arrived since Home Assistant
started lives in memory only, handed from one load of the entry to the next (an options
change reloads it). The store is not the recorder: bodies kept here never reach history.
"""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Final, TypedDict
from urllib.parse import unquote, urlsplit

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import MAX_MEDIA_ITEMS, DeliveryState, FlowrouteResponseError
from .const import (
    CONF_CONVERSATION_DAYS,
    CONF_CONVERSATION_MAX_MESSAGES,
    CONF_KEEP_CONVERSATIONS,
    DEFAULT_CONVERSATION_DAYS,
    DEFAULT_CONVERSATION_MAX_MESSAGES,
    MAX_CONVERSATION_DAYS,
    MAX_CONVERSATION_MAX_MESSAGES,
    MIN_CONVERSATION_DAYS,
    MIN_CONVERSATION_MAX_MESSAGES,
)
from .media_types import guess_mime_type
from .messages import Route
from .opt_out import is_opt_out_refusal
from .outbox import FailureReason
from .outcomes import describe_failure
from .storage import CONVERSATIONS, entry_store

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .api import DeliveryReceipt, FlowrouteError
    from .data import FlowrouteConfigEntry
    from .messages import ReceivedMedia, ReceivedMessage
    from .outbound_media import MediaFile
    from .outbox import OutboundMessage
    from .storage import EntryStore

# What the panel's subscriptions hear: {"kind", "config_entry_id", ...} (websocket_api.py).
SIGNAL_CONVERSATIONS: Final = "flowroute_conversations"

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 10.0
PRUNE_INTERVAL: Final = timedelta(hours=1)  # messages age out even when nothing arrives
# Bounds of what one message keeps. Flowroute takes bodies of a few segments; the parser
# lets inbound bodies reach 10,000 characters: a longer one is kept cut, ending in "…".
MAX_BODY_LENGTH: Final = 5_000
MAX_CHARACTERS: Final = 10_000_000  # of bodies per entry: a flood of long texts is bounded
MAX_FILE_NAME_LENGTH: Final = 255
MAX_MIME_TYPE_LENGTH: Final = 127
MAX_CONTENT_ID_LENGTH: Final = 1_024
MAX_ID_LENGTH: Final = 128
MAX_NUMBER_LENGTH: Final = 32
MAX_DESCRIPTION_LENGTH: Final = 256
_CUT: Final = "…"

# Memory-only conversations handed from an unloaded entry to its next load (by entry id).
_IN_MEMORY: HassKey[dict[str, _StoredData]] = HassKey("flowroute_conversations_in_memory")


class Direction(StrEnum):
    """Whether a text came to the house or left it."""

    IN = "in"
    OUT = "out"


class MessageState(StrEnum):
    """Where a message stands: received (inbound), or a step of an outbound text's way."""

    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    OPTED_OUT = "opted_out"  # Flowroute or the carrier said the recipient opted out (1110)
    BLOCKED_OPTED_OUT = "blocked_opted_out"  # never sent: they had opted out
    BLOCKED_FLOOD_GUARD = "blocked_flood_guard"  # never sent: the flood guard held it


class Origin(StrEnum):
    """What sent an outbound text, when it was not an action or a notify entity."""

    KEYWORD = "keyword"  # the HELP reply, the START confirmation
    QUESTION = "question"  # the re-prompt of a question `flowroute.ask` waits on
    ASSIST = "assist"  # an answer of Assist (its apology, its wait reply)
    ASK = "ask"  # the question `flowroute.ask` texted


_DELIVERY_STATES: Final = {
    DeliveryState.SENT: MessageState.SENT,
    DeliveryState.DELIVERED: MessageState.DELIVERED,
    DeliveryState.FAILED: MessageState.FAILED,
    DeliveryState.OPTED_OUT: MessageState.OPTED_OUT,
}
_ROUTES: Final = frozenset(str(route) for route in Route)


class UnknownMessageError(LookupError):
    """A message id that is not (or no longer) in the conversation."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageMedia:
    """One picture (or other part) of an MMS, as the panel may show it."""

    media_content_id: str | None  # of the downloaded file; None when not downloaded
    mime_type: str | None
    file_name: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return the API and storage form."""
        return {
            "media_content_id": self.media_content_id,
            "mime_type": self.mime_type,
            "file_name": self.file_name,
        }


@dataclass(slots=True, kw_only=True, eq=False)
class ConversationMessage:
    """One text in a conversation; `seq` orders the entry's messages as they came."""

    id: str
    seq: int
    direction: Direction
    did: str
    number: str
    body: str
    time: datetime
    media: tuple[MessageMedia, ...] = ()
    state: MessageState
    message_id: str | None = None  # Flowroute's id, once known
    status_code: int | None = None
    status_description: str | None = None
    origin: Origin | None = None
    handled_by: str | None = None  # a Route of the inbound router

    def as_dict(self) -> dict[str, Any]:
        """Return the form the websocket API gives."""
        return {
            "id": self.id,
            "message_id": self.message_id,
            "direction": str(self.direction),
            "did": self.did,
            "number": self.number,
            "body": self.body,
            "time": self.time.isoformat(),
            "media": [item.as_dict() for item in self.media],
            "state": str(self.state),
            "status_code": self.status_code,
            "status_description": self.status_description,
            "origin": None if self.origin is None else str(self.origin),
            "handled_by": self.handled_by,
        }


@dataclass(slots=True)
class Conversation:
    """The messages between one of the entry's numbers and one other, oldest first."""

    did: str
    number: str
    messages: list[ConversationMessage] = field(default_factory=list)
    last_read: int = 0  # seq of the last message the panel showed as read

    @property
    def last(self) -> ConversationMessage:
        """The newest message (a conversation always has one)."""
        return self.messages[-1]

    @property
    def unread(self) -> int:
        """Inbound messages after the last one read."""
        count = 0
        for message in reversed(self.messages):
            if message.seq <= self.last_read:
                break
            count += message.direction is Direction.IN
        return count


class _StoredData(TypedDict):
    next_seq: int
    messages: list[dict[str, Any]]
    read: list[list[Any]]  # [did, number, last_read]


def sent_media(files: Sequence[MediaFile], urls: Sequence[str]) -> tuple[MessageMedia, ...]:
    """Describe what an outbound MMS carries: names and types, never a (hosted) URL."""
    items = [
        MessageMedia(media_content_id=None, mime_type=f.content_type, file_name=f.file_name)
        for f in files
    ]
    for url in urls:
        name = PurePosixPath(unquote(urlsplit(url).path)).name or None
        mime_type = guess_mime_type(name) if name else None
        items.append(MessageMedia(media_content_id=None, mime_type=mime_type, file_name=name))
    return tuple(_bounded_media(item) for item in items[:MAX_MEDIA_ITEMS])


def _received_media(media: Sequence[ReceivedMedia]) -> tuple[MessageMedia, ...]:
    """Describe the pictures of an inbound MMS; its text parts are the body already."""
    return tuple(
        _bounded_media(
            MessageMedia(
                media_content_id=item.media_content_id,
                mime_type=item.mime_type,
                file_name=item.file_name,
            )
        )
        for item in media[:MAX_MEDIA_ITEMS]
        if not (item.mime_type or "").startswith("text/")
    )


class ConversationStore:
    """The conversations of one config entry, bounded, kept in storage unless turned off."""

    def __init__(self, hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
        """Hold the entry's conversations (empty until `async_load`)."""
        self._hass = hass
        self._entry = entry
        options = entry.options
        self._keep = bool(options.get(CONF_KEEP_CONVERSATIONS, True))
        days = _clamp(
            options.get(CONF_CONVERSATION_DAYS),
            DEFAULT_CONVERSATION_DAYS,
            MIN_CONVERSATION_DAYS,
            MAX_CONVERSATION_DAYS,
        )
        self._max_age = timedelta(days=days)
        self._max_messages = _clamp(
            options.get(CONF_CONVERSATION_MAX_MESSAGES),
            DEFAULT_CONVERSATION_MAX_MESSAGES,
            MIN_CONVERSATION_MAX_MESSAGES,
            MAX_CONVERSATION_MAX_MESSAGES,
        )
        self._store: EntryStore[_StoredData] = entry_store(
            hass, entry.entry_id, CONVERSATIONS, STORAGE_VERSION
        )
        # Insertion order is `seq` order: the oldest message is the first.
        self._messages: dict[str, ConversationMessage] = {}
        self._conversations: dict[tuple[str, str], Conversation] = {}
        self._by_message_id: dict[str, ConversationMessage] = {}  # Flowroute's id -> outbound
        self._characters = 0
        self._next_seq = 1
        self._cancel_prune: Callable[[], None] | None = None

    @property
    def stored(self) -> bool:
        """Whether conversations are kept in storage (else since Home Assistant started)."""
        return self._keep

    def __len__(self) -> int:
        """Return how many messages the store holds."""
        return len(self._messages)

    async def async_load(self) -> None:
        """Restore the conversations (what a previous load kept in memory comes first)."""
        data: Any = self._hass.data.get(_IN_MEMORY, {}).pop(self._entry.entry_id, None)
        from_memory = data is not None
        if not self._keep:
            # Turned off: whatever was saved before is removed, not kept aside.
            await self._store.async_remove()
        elif data is None:
            data = await self._store.async_load()
        self._restore(data)
        self._prune()
        if from_memory and self._keep:
            self._save_soon()
        self._cancel_prune = async_track_time_interval(
            self._hass, self._async_prune_tick, PRUNE_INTERVAL, cancel_on_shutdown=True
        )

    async def async_unload(self) -> None:
        """Save now (or hand the conversations to the next load when kept in memory)."""
        if self._cancel_prune is not None:
            self._cancel_prune()
            self._cancel_prune = None
        if self._keep:
            await self._store.async_save(self._data())
        else:
            self._hass.data.setdefault(_IN_MEMORY, {})[self._entry.entry_id] = self._data()

    # What the panel reads

    def conversations(self) -> list[Conversation]:
        """Return every conversation (each holds at least one message)."""
        return list(self._conversations.values())

    def conversation(self, did: str, number: str) -> Conversation | None:
        """Return the conversation of one of the entry's numbers with another, if any."""
        return self._conversations.get((did, number))

    def page(
        self, did: str, number: str, *, limit: int, before: str | None = None
    ) -> tuple[list[ConversationMessage], bool]:
        """Return up to `limit` messages before the one with id `before`, and whether older exist.

        Oldest first; without `before`, the newest. Raises UnknownMessageError when
        `before` is not a message of this conversation (any more).
        """
        conversation = self._conversations.get((did, number))
        messages = [] if conversation is None else conversation.messages
        end = len(messages)
        if before is not None:
            anchor = self._messages.get(before)
            if anchor is None or (anchor.did, anchor.number) != (did, number):
                raise UnknownMessageError(before)
            end = bisect.bisect_left(messages, anchor.seq, key=_seq)
        start = max(0, end - limit)
        return messages[start:end], start > 0

    # What the deciding modules tell it

    @callback
    def async_received(self, message: ReceivedMessage) -> None:
        """Keep a text the inbound router published, with the pictures it saved."""
        now = dt_util.utcnow()
        self._add(
            ConversationMessage(
                id=uuid.uuid4().hex,
                seq=self._take_seq(),
                direction=Direction.IN,
                did=message.to_number,
                number=message.from_number,
                body=_bounded_body(message.body),
                time=min(message.timestamp, now),
                media=_received_media(message.media),
                state=MessageState.RECEIVED,
                message_id=_bounded(message.message_id, MAX_ID_LENGTH),
                handled_by=None if message.handled_by is None else str(message.handled_by),
            )
        )

    @callback
    def async_queued(
        self,
        message: OutboundMessage,
        *,
        media: tuple[MessageMedia, ...],
        origin: Origin | None,
    ) -> None:
        """Keep a text the send path queued in the outbox (its id is the outbox's)."""
        self._add(
            ConversationMessage(
                id=message.id,
                seq=self._take_seq(),
                direction=Direction.OUT,
                did=message.from_did,
                number=message.to,
                body=_bounded_body(message.body),
                time=dt_util.utcnow(),
                media=media,
                state=MessageState.QUEUED,
                origin=origin,
            )
        )

    @callback
    def async_blocked(
        self,
        *,
        to: str,
        from_did: str,
        body: str,
        media: tuple[MessageMedia, ...],
        state: MessageState,
        origin: Origin | None,
    ) -> None:
        """Keep a text the send path refused for one recipient (opted out, flood guard)."""
        self._add(
            ConversationMessage(
                id=uuid.uuid4().hex,
                seq=self._take_seq(),
                direction=Direction.OUT,
                did=from_did,
                number=to,
                body=_bounded_body(body),
                time=dt_util.utcnow(),
                media=media,
                state=state,
                origin=origin,
            )
        )

    @callback
    def async_accepted(
        self, outbox_id: str, message_id: str, delivery: DeliveryState | None
    ) -> None:
        """Mark a queued text sent; `delivery` is a state its receipts already gave."""
        message = self._messages.get(outbox_id)
        if message is None:  # aged out, or queued while conversations were not kept
            return
        message.message_id = message_id
        self._by_message_id[message_id] = message
        state = MessageState.SENT if delivery is None else _DELIVERY_STATES[delivery]
        self._update(message, state, None, None)

    @callback
    def async_failed(
        self, outbox_id: str, reason: FailureReason, error: FlowrouteError | None
    ) -> None:
        """Mark a queued text the outbox gave up on: failed, or blocked because of a STOP."""
        message = self._messages.get(outbox_id)
        if message is None:
            return
        if is_opt_out_refusal(error):
            state = MessageState.OPTED_OUT
        elif reason is FailureReason.OPTED_OUT:
            self._update(message, MessageState.BLOCKED_OPTED_OUT, None, None)
            return
        else:
            state = MessageState.FAILED
        code = error.code if isinstance(error, FlowrouteResponseError) else None
        self._update(message, state, code, describe_failure(error))

    @callback
    def async_delivery(
        self, message_id: str, delivery: DeliveryState, receipt: DeliveryReceipt
    ) -> None:
        """Follow the delivery state the receipt tracker gives a sent text."""
        message = self._by_message_id.get(message_id)
        if message is not None:
            state = _DELIVERY_STATES[delivery]
            self._update(message, state, receipt.status_code, receipt.status_description)

    @callback
    def async_mark_read(self, did: str, number: str) -> None:
        """Mark a conversation read up to its newest message; tell the subscriptions."""
        conversation = self._conversations.get((did, number))
        if conversation is None:
            return
        conversation.last_read = conversation.last.seq
        self._save_soon()
        self._tell({"kind": "read", "did": did, "number": number})

    # Keeping

    def _take_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def _add(self, message: ConversationMessage) -> None:
        self._insert(message)
        self._prune()
        self._save_soon()
        if message.id in self._messages:  # not aged out at once (a date long past)
            self._tell({"kind": "message", "message": message.as_dict()})

    def _insert(self, message: ConversationMessage) -> None:
        key = (message.did, message.number)
        conversation = self._conversations.get(key)
        if conversation is None:
            conversation = self._conversations[key] = Conversation(message.did, message.number)
        conversation.messages.append(message)
        self._messages[message.id] = message
        if message.message_id is not None and message.direction is Direction.OUT:
            self._by_message_id[message.message_id] = message
        self._characters += len(message.body)

    def _update(
        self,
        message: ConversationMessage,
        state: MessageState,
        status_code: int | None,
        status_description: str | None,
    ) -> None:
        if message.state is state:
            return
        message.state = state
        message.status_code = status_code
        message.status_description = (
            None
            if status_description is None
            else _bounded(status_description, MAX_DESCRIPTION_LENGTH)
        )
        self._save_soon()
        self._tell({"kind": "update", "message": message.as_dict()})

    def _prune(self) -> None:
        """Drop the oldest messages beyond the bounds and older than the retention."""
        cutoff = dt_util.utcnow() - self._max_age
        while self._messages:
            oldest = next(iter(self._messages.values()))
            if (
                len(self._messages) <= self._max_messages
                and self._characters <= MAX_CHARACTERS
                and oldest.time >= cutoff
            ):
                break
            self._drop(oldest)

    def _drop(self, message: ConversationMessage) -> None:
        del self._messages[message.id]
        if message.message_id is not None:
            self._by_message_id.pop(message.message_id, None)
        self._characters -= len(message.body)
        key = (message.did, message.number)
        conversation = self._conversations[key]
        # The first, unless a date long past ages one out at load.
        del conversation.messages[bisect.bisect_left(conversation.messages, message.seq, key=_seq)]
        if not conversation.messages:
            del self._conversations[key]

    @callback
    def _async_prune_tick(self, _now: datetime) -> None:
        count = len(self._messages)
        self._prune()
        if len(self._messages) != count:
            self._save_soon()

    def _tell(self, event: dict[str, Any]) -> None:
        async_dispatcher_send(
            self._hass,
            SIGNAL_CONVERSATIONS,
            {**event, "config_entry_id": self._entry.entry_id},
        )

    # Storage

    def _save_soon(self) -> None:
        if self._keep:
            self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> _StoredData:
        """Build what to keep, now (the store writes it later, in another thread)."""
        return {
            "next_seq": self._next_seq,
            "messages": [
                {**message.as_dict(), "seq": message.seq} for message in self._messages.values()
            ],
            "read": [
                [conversation.did, conversation.number, conversation.last_read]
                for conversation in self._conversations.values()
                if conversation.last_read
            ],
        }

    def _restore(self, data: Any) -> None:
        """Rebuild from what was kept; anything that does not make sense is skipped."""
        if not isinstance(data, dict):
            return
        messages: list[ConversationMessage] = []
        items = data.get("messages")
        for item in items if isinstance(items, list) else ():
            try:
                messages.append(_from_stored(item))
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        messages.sort(key=_seq)
        for message in messages:
            if message.id not in self._messages:
                self._insert(message)
        # Ages are checked one by one: a date far back may sit behind newer ones.
        cutoff = dt_util.utcnow() - self._max_age
        for message in [message for message in messages if message.time < cutoff]:
            if message.id in self._messages:
                self._drop(message)
        read = data.get("read")
        for row in read if isinstance(read, list) else ():
            if (
                isinstance(row, list)
                and len(row) == 3  # noqa: PLR2004 - [did, number, last_read]
                and (conversation := self._conversations.get((str(row[0]), str(row[1]))))
                and type(row[2]) is int
            ):
                conversation.last_read = row[2]
        last_seq = messages[-1].seq if messages else 0
        next_seq = data.get("next_seq")
        self._next_seq = max(last_seq + 1, next_seq if type(next_seq) is int else 1)


def _seq(message: ConversationMessage) -> int:
    return message.seq


def _from_stored(item: dict[str, Any]) -> ConversationMessage:
    """Rebuild one kept message; raises on anything the store did not write."""
    time = datetime.fromisoformat(item["time"])
    if time.tzinfo is None:
        raise ValueError("a time without offset")
    origin = item["origin"]
    handled_by = item["handled_by"]
    if handled_by is not None and handled_by not in _ROUTES:
        raise ValueError("not a route")
    status_code = item["status_code"]
    if status_code is not None and type(status_code) is not int:
        raise TypeError("not a code")
    if type(item["seq"]) is not int:
        raise TypeError("not a sequence number")
    return ConversationMessage(
        id=_required(item["id"], MAX_ID_LENGTH),
        seq=item["seq"],
        direction=Direction(item["direction"]),
        did=_required(item["did"], MAX_NUMBER_LENGTH),
        number=_required(item["number"], MAX_NUMBER_LENGTH),
        body=_bounded_body(_text(item["body"])),
        time=dt_util.as_utc(time),
        media=tuple(
            _bounded_media(
                MessageMedia(
                    media_content_id=_optional(media["media_content_id"]),
                    mime_type=_optional(media["mime_type"]),
                    file_name=_optional(media["file_name"]),
                )
            )
            for media in item["media"][:MAX_MEDIA_ITEMS]
        ),
        state=MessageState(item["state"]),
        message_id=_optional(item["message_id"]),
        status_code=status_code,
        status_description=_optional(item["status_description"]),
        origin=None if origin is None else Origin(origin),
        handled_by=handled_by,
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a text")
    return value


def _required(value: object, length: int) -> str:
    text = _text(value)
    if not text or len(text) > length:
        raise ValueError("empty or too long")
    return text


def _optional(value: object) -> str | None:
    return None if value is None else _text(value)


def _bounded(text: str, length: int) -> str:
    return text[:length]


def _bounded_body(body: str) -> str:
    if len(body) <= MAX_BODY_LENGTH:
        return body
    return body[: MAX_BODY_LENGTH - len(_CUT)] + _CUT


def _bounded_media(item: MessageMedia) -> MessageMedia:
    content_id = item.media_content_id
    return MessageMedia(
        # A cut id would name another file: one too long is no id at all.
        media_content_id=(
            content_id
            if content_id is not None and len(content_id) <= MAX_CONTENT_ID_LENGTH
            else None
        ),
        mime_type=None if item.mime_type is None else item.mime_type[:MAX_MIME_TYPE_LENGTH],
        file_name=None if item.file_name is None else item.file_name[:MAX_FILE_NAME_LENGTH],
    )


def _clamp(value: object, default: int, low: int, high: int) -> int:
    """Read a whole-number option (set by hand, maybe): the default unless it is a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return min(max(int(value), low), high)


@callback
def async_forget_conversations(hass: HomeAssistant, entry_id: str) -> None:
    """Drop what a removed entry kept in memory (its file goes with the entry's stores)."""
    hass.data.get(_IN_MEMORY, {}).pop(entry_id, None)

"""The Texts panel's websocket API: conversations, threads, live changes, read marks, costs.

Registered once in async_setup. Admin only, unless a loaded entry's `panel_for_everyone`
option is on: a user who is not an admin then sees, and may use, only the entries that
allow it. Every input is validated: numbers as the send path reads them, ids and texts
bounded. The conversations are the entries' stores (conversations.py); a subscription
hears what they tell and every opt-out change.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import (
    ERR_INVALID_FORMAT,
    ERR_NOT_FOUND,
    ERR_UNAUTHORIZED,
)
from homeassistant.components.websocket_api.decorators import websocket_command
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_NAME
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .api import canonical_number, format_number
from .const import (
    CONF_NUMBER,
    CONF_NUMBERS,
    CONF_PANEL_FOR_EVERYONE,
    DOMAIN,
    EVENT_OPT_OUT_CHANGED,
    SUBENTRY_CONTACT,
)
from .conversations import SIGNAL_CONVERSATIONS, UnknownMessageError
from .sending import TextCost, normalize_recipient

if TYPE_CHECKING:
    from collections.abc import Callable

    # Home Assistant 2026 validates with probatio (installed as `voluptuous` too) and
    # its signatures name probatio's classes: type-check against those.
    import probatio as vol

    from .conversations import Conversation
    from .data import FlowrouteConfigEntry
else:
    import voluptuous as vol

type Handler = Callable[[HomeAssistant, ActiveConnection, dict[str, Any]], None]

LIST: Final = "flowroute/conversations/list"
THREAD: Final = "flowroute/conversations/thread"
SUBSCRIBE: Final = "flowroute/conversations/subscribe"
MARK_READ: Final = "flowroute/conversations/mark_read"
SEGMENTS: Final = "flowroute/conversations/segments"

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 200
MAX_OFFSET: Final = 1_000_000  # more than the conversations of many entries at their bound
MAX_SEARCH_LENGTH: Final = 100
MAX_TEXT_LENGTH: Final = 10_000  # what the parser lets a text be
MAX_ID_LENGTH: Final = 64
MAX_NUMBER_LENGTH: Final = 64  # as typed: spaces, brackets and dashes are allowed
PREVIEW_LENGTH: Final = 160
_NUMBER_CHARACTERS: Final = frozenset("0123456789+-(). ")

_ID = vol.All(str, vol.Length(min=1, max=MAX_ID_LENGTH))
_NUMBER = vol.All(str, vol.Length(min=1, max=MAX_NUMBER_LENGTH))
_LIMIT = vol.All(int, vol.Range(min=1, max=MAX_LIMIT))
_CONVERSATION: Final[dict[str | vol.Marker, Any]] = {
    vol.Required("config_entry_id"): _ID,
    vol.Required("did"): _NUMBER,
    vol.Required("number"): _NUMBER,
}


class _RefusedError(Exception):
    """A request the API answers with an error code and a translated message."""

    def __init__(self, code: str, key: str, placeholders: dict[str, str] | None = None) -> None:
        super().__init__(key)
        self.code = code
        self.key = key
        self.placeholders = placeholders or {}

    def send(self, connection: ActiveConnection, msg_id: int) -> None:
        error = HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=self.key,
            translation_placeholders=self.placeholders,
        )
        connection.send_error(
            msg_id,
            self.code,
            str(error),  # the English text; the frontend may translate from the key
            translation_key=self.key,
            translation_domain=DOMAIN,
            translation_placeholders=self.placeholders,
        )


def _answers_refusals(handler: Handler) -> Handler:
    @functools.wraps(handler)
    def wrapper(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
        try:
            handler(hass, connection, msg)
        except _RefusedError as refused:
            refused.send(connection, msg["id"])

    return wrapper


@callback
def async_setup_websocket_api(hass: HomeAssistant) -> None:
    """Register the panel's commands."""
    for command in (_list, _thread, _subscribe, _mark_read, _segments):
        async_register_command(hass, command)


# Who sees what


def _may_see(connection: ActiveConnection, entry: FlowrouteConfigEntry) -> bool:
    return connection.user.is_admin or bool(entry.options.get(CONF_PANEL_FOR_EVERYONE, False))


def _entries(
    hass: HomeAssistant, connection: ActiveConnection, entry_id: str | None
) -> list[FlowrouteConfigEntry]:
    """Return the loaded entries the user may see: every one, or the one asked for."""
    loaded: list[FlowrouteConfigEntry] = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]
    permitted = [entry for entry in loaded if _may_see(connection, entry)]
    if not connection.user.is_admin and not permitted:
        raise _RefusedError(ERR_UNAUTHORIZED, "panel_not_allowed")
    if entry_id is None:
        return permitted
    if (entry := next((e for e in loaded if e.entry_id == entry_id), None)) is None:
        raise _RefusedError(ERR_NOT_FOUND, "entry_not_loaded", {"entry_id": entry_id})
    if entry not in permitted:
        raise _RefusedError(ERR_UNAUTHORIZED, "panel_not_allowed")
    return [entry]


def _conversation_key(entry: FlowrouteConfigEntry, msg: dict[str, Any]) -> tuple[str, str]:
    """Return (DID, number) as the store keys them; refuse what is neither."""
    try:
        did = entry.runtime_data.sender.resolve_from(msg["did"])
        number = normalize_recipient(msg["number"])
    except ServiceValidationError as err:
        code = ERR_NOT_FOUND if err.translation_key == "unknown_did" else ERR_INVALID_FORMAT
        raise _RefusedError(code, str(err.translation_key), err.translation_placeholders) from err
    return did, number


def _contacts(entry: FlowrouteConfigEntry) -> dict[str, str]:
    """Return the names of the entry's contacts by number."""
    return {
        canonical_number(str(subentry.data[CONF_NUMBER])): str(subentry.data[CONF_NAME])
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_CONTACT
    }


def _matches(conversation: Conversation, contact: str | None, needle: str, digits: str) -> bool:
    """Whether a search finds the conversation: by name, by number, or in a message."""
    if contact is not None and needle in contact.casefold():
        return True
    if digits and digits in conversation.number:
        return True
    return any(needle in message.body.casefold() for message in conversation.messages)


# Commands


@websocket_command(
    {
        vol.Required("type"): LIST,
        vol.Optional("config_entry_id"): _ID,
        vol.Optional("search"): vol.All(str, vol.Length(max=MAX_SEARCH_LENGTH)),
        vol.Optional("limit", default=DEFAULT_LIMIT): _LIMIT,
        vol.Optional("offset", default=0): vol.All(int, vol.Range(min=0, max=MAX_OFFSET)),
    }
)
@callback
@_answers_refusals
def _list(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """List the conversations, newest first, optionally only those a search finds."""
    entries = _entries(hass, connection, msg.get("config_entry_id"))
    search = msg.get("search", "").strip()
    needle = search.casefold()
    # Digits are compared only when the search could be a number ("(206) 555").
    digits = "".join(filter(str.isdigit, search)) if _NUMBER_CHARACTERS.issuperset(search) else ""
    found: list[tuple[Conversation, FlowrouteConfigEntry, str | None]] = []
    for entry in entries:
        contacts = _contacts(entry)
        for conversation in entry.runtime_data.conversations.conversations():
            contact = contacts.get(conversation.number)
            if not needle or _matches(conversation, contact, needle, digits):
                found.append((conversation, entry, contact))
    found.sort(key=lambda item: (item[0].last.time, item[0].last.seq), reverse=True)
    offset, limit = msg["offset"], msg["limit"]
    registry = dr.async_get(hass)
    connection.send_result(
        msg["id"],
        {
            "conversations": [
                _summary(conversation, entry, contact)
                for conversation, entry, contact in found[offset : offset + limit]
            ],
            "total": len(found),
            "has_more": offset + limit < len(found),
            "stored": all(entry.runtime_data.conversations.stored for entry in entries),
            "numbers": [
                {
                    "config_entry_id": entry.entry_id,
                    "did": did,
                    "name": _did_name(registry, entry.entry_id, did),
                }
                for entry in entries
                for did in entry.data[CONF_NUMBERS]
            ],
        },
    )


def _summary(
    conversation: Conversation, entry: FlowrouteConfigEntry, contact: str | None
) -> dict[str, Any]:
    last = conversation.last
    return {
        "config_entry_id": entry.entry_id,
        "did": conversation.did,
        "number": conversation.number,
        "contact": contact,
        "last": {
            "id": last.id,
            "direction": str(last.direction),
            "text": last.body.split("\n", 1)[0][:PREVIEW_LENGTH],
            "time": last.time.isoformat(),
            "state": str(last.state),
            "origin": None if last.origin is None else str(last.origin),
            "media": len(last.media),
        },
        "unread": conversation.unread,
        "opted_out": entry.runtime_data.opt_outs.is_opted_out(
            conversation.did, conversation.number
        ),
    }


def _did_name(registry: dr.DeviceRegistry, entry_id: str, did: str) -> str:
    # Among the entry's devices: Home Assistant deprecates async_get_device (2026.10), and
    # its replacement (async_get_device_by_identifier) is not in 2025.4.
    device = next(
        (
            device
            for device in dr.async_entries_for_config_entry(registry, entry_id)
            if (DOMAIN, did) in device.identifiers
        ),
        None,
    )
    if device is None:
        return format_number(did)
    return device.name_by_user or device.name or format_number(did)


@websocket_command(
    {
        vol.Required("type"): THREAD,
        **_CONVERSATION,
        vol.Optional("limit", default=DEFAULT_LIMIT): _LIMIT,
        vol.Optional("before"): _ID,
    }
)
@callback
@_answers_refusals
def _thread(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Give a conversation's messages, oldest first, a page before a message at a time."""
    [entry] = _entries(hass, connection, msg["config_entry_id"])
    did, number = _conversation_key(entry, msg)
    store = entry.runtime_data.conversations
    try:
        messages, has_more = store.page(did, number, limit=msg["limit"], before=msg.get("before"))
    except UnknownMessageError as err:
        raise _RefusedError(ERR_NOT_FOUND, "message_not_found") from err
    connection.send_result(
        msg["id"],
        {
            "did": did,  # as the store keys them, whatever way they were typed
            "number": number,
            "messages": [message.as_dict() for message in messages],
            "has_more": has_more,
            "contact": _contacts(entry).get(number),
            "opted_out": entry.runtime_data.opt_outs.is_opted_out(did, number),
            "stored": store.stored,
        },
    )


@websocket_command({vol.Required("type"): SUBSCRIBE, vol.Optional("config_entry_id"): _ID})
@callback
@_answers_refusals
def _subscribe(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Tell of new texts, their state changes, opt-outs and read marks until unsubscribed."""
    entry_id: str | None = msg.get("config_entry_id")
    _entries(hass, connection, entry_id)

    @callback
    def forward(event: dict[str, Any]) -> None:
        # Asked at each event: an entry's option may change while the panel is open.
        event_entry_id = event["config_entry_id"]
        if entry_id is not None and event_entry_id != entry_id:
            return
        entry: FlowrouteConfigEntry | None = hass.config_entries.async_get_entry(event_entry_id)
        if entry is not None and _may_see(connection, entry):
            connection.send_message(event_message(msg["id"], event))

    @callback
    def opt_out_changed(event: Event[dict[str, Any]]) -> None:
        data = event.data
        forward(
            {
                "kind": "opt_out",
                "config_entry_id": data["config_entry_id"],
                "did": data["did"],
                "number": data["number"],
                "opted_out": data["opted_out"],
            }
        )

    unsubscribers = (
        async_dispatcher_connect(hass, SIGNAL_CONVERSATIONS, forward),
        hass.bus.async_listen(EVENT_OPT_OUT_CHANGED, opt_out_changed),
    )

    @callback
    def unsubscribe() -> None:
        for unsubscriber in unsubscribers:
            unsubscriber()

    connection.subscriptions[msg["id"]] = unsubscribe
    connection.send_result(msg["id"])


@websocket_command({vol.Required("type"): MARK_READ, **_CONVERSATION})
@callback
@_answers_refusals
def _mark_read(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Mark a conversation read; every subscription hears of it."""
    [entry] = _entries(hass, connection, msg["config_entry_id"])
    did, number = _conversation_key(entry, msg)
    connection.send_result(msg["id"], {})  # before the subscriptions hear of it
    entry.runtime_data.conversations.async_mark_read(did, number)


@websocket_command(
    {
        vol.Required("type"): SEGMENTS,
        vol.Required("config_entry_id"): _ID,
        vol.Required("text"): vol.All(str, vol.Length(max=MAX_TEXT_LENGTH)),
    }
)
@callback
@_answers_refusals
def _segments(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Count a text as the send path will send it from the entry (the compose box's count)."""
    [entry] = _entries(hass, connection, msg["config_entry_id"])
    body = entry.runtime_data.sender.prepare_body(msg["text"])
    cost = TextCost.of(body)
    connection.send_result(
        msg["id"],
        {
            "segments": cost.segments,
            "encoding": cost.encoding,
            "characters": len(body),
            "ucs2_character": cost.ucs2_character,
        },
    )

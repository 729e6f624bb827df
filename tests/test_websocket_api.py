"""The Texts panel's websocket API, spoken to as the panel does, over a real websocket.

Texts come from the simulator through the loaded entry's webhook; sends go through the
action to the simulator, whose receipts come back. Users are Home Assistant's own: the
test harness's administrator and a read-only user.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flowroute.const import (
    CONF_NUMBERS,
    CONF_PANEL_FOR_EVERYONE,
    CONF_PLAIN_PUNCTUATION,
    DOMAIN,
)
from custom_components.flowroute.messages import ReceivedMessage

from .conftest import DID_1, DID_2, contact, entry_data

if TYPE_CHECKING:
    from pytest_homeassistant_custom_component.typing import (
        MockHAClientWebSocket,
        WebSocketGenerator,
    )

    from simulator.testing import RunningSimulator

HANDSET = "12065550100"
BOB = "12065550101"
TIMEOUT = 30  # seconds: reached only when a test is about to fail
UNAUTHORIZED = (
    "Only administrators can see these conversations: the Flowroute account does not show"
    " its Texts panel to every user"
)


@pytest.fixture
def subentries_data() -> list[ConfigSubentryData]:
    """Bob is a contact (overrides conftest's: none)."""
    return [contact("Bob", BOB)]


async def _text(
    hass: HomeAssistant, simulator: RunningSimulator, sender: str, body: str, did: str = DID_1
) -> None:
    simulator.inject_inbound(from_=sender, to=did, body=body)
    await simulator.idle()
    await hass.async_block_till_done()


async def _call(ws: MockHAClientWebSocket, **message: Any) -> Any:
    """Send a command; return its result (failing the test on an error)."""
    await ws.send_json_auto_id(message)
    response: dict[str, Any] = await ws.receive_json()
    assert response["success"], response
    return response["result"]


async def _error(ws: MockHAClientWebSocket, **message: Any) -> dict[str, Any]:
    await ws.send_json_auto_id(message)
    response: dict[str, Any] = await ws.receive_json()
    assert not response["success"], response
    error: dict[str, Any] = response["error"]
    return error


async def _list(ws: MockHAClientWebSocket, **options: Any) -> dict[str, Any]:
    result: dict[str, Any] = await _call(ws, type="flowroute/conversations/list", **options)
    return result


async def _thread(
    ws: MockHAClientWebSocket, entry: MockConfigEntry, number: str, **options: Any
) -> dict[str, Any]:
    result: dict[str, Any] = await _call(
        ws,
        type="flowroute/conversations/thread",
        config_entry_id=entry.entry_id,
        did=options.pop("did", DID_1),
        number=number,
        **options,
    )
    return result


async def _event(ws: MockHAClientWebSocket) -> dict[str, Any]:
    async with asyncio.timeout(TIMEOUT):
        message: dict[str, Any] = await ws.receive_json()
    assert message["type"] == "event", message
    event: dict[str, Any] = message["event"]
    return event


@pytest.fixture
async def ws(
    hass: HomeAssistant, listening: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> MockHAClientWebSocket:
    """The administrator's websocket, once the entry listens to the simulator."""
    return await hass_ws_client(hass)


# Who may see what


async def test_only_administrators_by_default(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    await _text(hass, simulator, HANDSET, "Door code?")
    admin = await hass_ws_client(hass)
    assert (await _list(admin))["total"] == 1
    user = await hass_ws_client(hass, hass_read_only_access_token)
    conversation = {"config_entry_id": listening.entry_id, "did": DID_1, "number": HANDSET}
    for command in (
        {"type": "flowroute/conversations/list"},
        {"type": "flowroute/conversations/list", "config_entry_id": listening.entry_id},
        {"type": "flowroute/conversations/thread", **conversation},
        {"type": "flowroute/conversations/mark_read", **conversation},
        {"type": "flowroute/conversations/subscribe"},
        {
            "type": "flowroute/conversations/segments",
            "config_entry_id": listening.entry_id,
            "text": "Hi",
        },
    ):
        error = await _error(user, **command)
        assert error["code"] == "unauthorized", command
        assert error["message"] == UNAUTHORIZED
        assert (error["translation_domain"], error["translation_key"]) == (
            DOMAIN,
            "panel_not_allowed",
        )
    conversation_ = listening.runtime_data.conversations.conversation(DID_1, HANDSET)
    assert conversation_ is not None
    assert conversation_.unread == 1  # the refused mark_read changed nothing


async def test_the_option_shows_every_user_only_the_entries_that_allow_it(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    # A second entry of the same account, for its second number, that keeps its panel
    # to administrators.
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Flowroute +1 206 555 0188",
        unique_id="other",
        data=entry_data(simulator, **{CONF_NUMBERS: [DID_2], CONF_WEBHOOK_ID: "f" * 32}),
    )
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    assert other.state is ConfigEntryState.LOADED
    other.runtime_data.conversations.async_received(_received(other, "For admins"))
    hass.config_entries.async_update_entry(
        listening, options={**listening.options, CONF_PANEL_FOR_EVERYONE: True}
    )
    await hass.async_block_till_done()  # reloaded
    await _text(hass, simulator, HANDSET, "For everyone")

    user = await hass_ws_client(hass, hass_read_only_access_token)
    listed = await _list(user)
    assert [(c["config_entry_id"], c["last"]["text"]) for c in listed["conversations"]] == [
        (listening.entry_id, "For everyone")
    ]
    assert {n["config_entry_id"] for n in listed["numbers"]} == {listening.entry_id}
    assert (await _thread(user, listening, HANDSET))["messages"][0]["body"] == "For everyone"
    error = await _error(
        user,
        type="flowroute/conversations/thread",
        config_entry_id=other.entry_id,
        did=DID_2,
        number=HANDSET,
    )
    assert error["code"] == "unauthorized"

    await _call(user, type="flowroute/conversations/subscribe")
    other.runtime_data.conversations.async_received(_received(other, "Not for users"))
    await _text(hass, simulator, HANDSET, "Seen")
    event = await _event(user)
    assert (event["config_entry_id"], event["message"]["body"]) == (listening.entry_id, "Seen")

    admin = await hass_ws_client(hass)
    assert {c["config_entry_id"] for c in (await _list(admin))["conversations"]} == {
        listening.entry_id,
        other.entry_id,
    }


def _received(entry: MockConfigEntry, body: str) -> ReceivedMessage:
    """A text as the inbound router publishes it (for an entry the simulator does not post to)."""
    from homeassistant.util import dt as dt_util  # noqa: PLC0415

    return ReceivedMessage(
        config_entry_id=entry.entry_id,
        message_id=f"mdr2-{len(body):032x}",
        from_number=HANDSET,
        to_number=DID_2,
        body=body,
        is_mms=False,
        media=(),
        timestamp=dt_util.utcnow(),
        keyword=None,
    )


# Validation


@pytest.mark.parametrize(
    "command",
    [
        {"type": "flowroute/conversations/list", "limit": 0},
        {"type": "flowroute/conversations/list", "limit": 201},
        {"type": "flowroute/conversations/list", "limit": "ten"},
        {"type": "flowroute/conversations/list", "offset": -1},
        {"type": "flowroute/conversations/list", "search": "x" * 101},
        {"type": "flowroute/conversations/list", "config_entry_id": "x" * 65},
        {"type": "flowroute/conversations/list", "config_entry_id": 7},
        {"type": "flowroute/conversations/list", "unknown": True},
        {"type": "flowroute/conversations/thread", "did": DID_1, "number": HANDSET},
        {"type": "flowroute/conversations/mark_read", "config_entry_id": "x", "did": DID_1},
        {"type": "flowroute/conversations/segments", "config_entry_id": "x", "text": "y" * 10_001},
    ],
)
async def test_malformed_commands_are_refused(
    ws: MockHAClientWebSocket, command: dict[str, Any]
) -> None:
    assert (await _error(ws, **command))["code"] == "invalid_format"


async def test_what_names_nothing_is_refused_with_the_translated_reason(
    ws: MockHAClientWebSocket, listening: MockConfigEntry
) -> None:
    thread = {"type": "flowroute/conversations/thread", "config_entry_id": listening.entry_id}
    error = await _error(ws, **thread, did=DID_1, number="call me")
    assert error["code"] == "invalid_format"
    assert error["translation_key"] == "invalid_number"
    assert error["message"].startswith('"call me" is not a phone number Flowroute can text')

    error = await _error(ws, **thread, did="12065550111", number=HANDSET)
    assert error["code"] == "not_found"
    assert error["message"] == (
        "+1 206 555 0111 is not one of the Flowroute numbers configured in Home Assistant"
    )

    error = await _error(ws, **thread, did=DID_1, number=HANDSET, before="0" * 32)
    assert (error["code"], error["translation_key"]) == ("not_found", "message_not_found")

    error = await _error(ws, type="flowroute/conversations/list", config_entry_id="nope")
    assert error == {
        "code": "not_found",
        "message": "The Flowroute account nope is not loaded",
        "translation_domain": DOMAIN,
        "translation_key": "entry_not_loaded",
        "translation_placeholders": {"entry_id": "nope"},
    }


# Listing, paging, searching


async def test_conversations_are_listed_newest_first_a_page_at_a_time(
    hass: HomeAssistant,
    ws: MockHAClientWebSocket,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
) -> None:
    handsets = [f"120655501{index:02}" for index in range(10, 17)]
    for handset in handsets:
        await _text(hass, simulator, handset, f"First line from {handset}\nsecond line")
    first = await _list(ws, limit=3)
    assert [c["number"] for c in first["conversations"]] == handsets[::-1][:3]
    assert (first["total"], first["has_more"], first["stored"]) == (7, True, True)
    [summary, *_] = first["conversations"]
    assert summary == {
        "config_entry_id": listening.entry_id,
        "did": DID_1,
        "number": handsets[-1],
        "contact": None,
        "last": {
            "id": summary["last"]["id"],
            "direction": "in",
            "text": f"First line from {handsets[-1]}",
            "time": summary["last"]["time"],
            "state": "received",
            "origin": None,
            "media": 0,
        },
        "unread": 1,
        "opted_out": False,
    }
    assert first["numbers"] == [
        {"config_entry_id": listening.entry_id, "did": DID_1, "name": "+1 206 555 0199"},
        {"config_entry_id": listening.entry_id, "did": DID_2, "name": "+1 206 555 0188"},
    ]
    last = await _list(ws, limit=3, offset=6)
    assert [c["number"] for c in last["conversations"]] == [handsets[0]]
    assert not last["has_more"]
    assert (await _list(ws, offset=50))["conversations"] == []


async def test_a_thread_pages_backwards(
    hass: HomeAssistant,
    ws: MockHAClientWebSocket,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
) -> None:
    for index in range(7):
        await _text(hass, simulator, HANDSET, f"text {index}")
    page = await _thread(ws, listening, HANDSET, limit=3)
    assert [m["body"] for m in page["messages"]] == ["text 4", "text 5", "text 6"]
    assert (page["has_more"], page["contact"], page["opted_out"], page["stored"]) == (
        True,
        None,
        False,
        True,
    )
    message = page["messages"][0]
    assert set(message) == {
        "id",
        "message_id",
        "direction",
        "did",
        "number",
        "body",
        "time",
        "media",
        "state",
        "status_code",
        "status_description",
        "origin",
        "handled_by",
    }
    page = await _thread(ws, listening, HANDSET, limit=3, before=message["id"])
    assert [m["body"] for m in page["messages"]] == ["text 1", "text 2", "text 3"]
    assert page["has_more"]
    page = await _thread(ws, listening, HANDSET, before=page["messages"][0]["id"])
    assert [m["body"] for m in page["messages"]] == ["text 0"]
    assert not page["has_more"]
    # Any way of writing the numbers names the same thread; a new one is empty.
    same = await _thread(ws, listening, "+1 (206) 555-0100", did="206.555.0199", limit=1)
    assert [m["body"] for m in same["messages"]] == ["text 6"]
    assert (same["did"], same["number"]) == (DID_1, HANDSET)
    assert (await _thread(ws, listening, "+44 20 7946 0000"))["messages"] == []


async def test_search_finds_names_numbers_and_words(
    hass: HomeAssistant,
    ws: MockHAClientWebSocket,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
) -> None:
    await _text(hass, simulator, BOB, "Garage is OPEN")
    await _text(hass, simulator, HANDSET, "Door code?")
    await _text(hass, simulator, HANDSET, "Thanks")

    async def found(search: str) -> list[tuple[str, str | None]]:
        listed = await _list(ws, search=search)
        return [(c["number"], c["contact"]) for c in listed["conversations"]]

    assert await found("bOB") == [(BOB, "Bob")]
    assert await found("(206) 555-0100") == [(HANDSET, None)]
    assert await found("+1 206 555 0101") == [(BOB, "Bob")]
    assert await found("5550") == [(HANDSET, None), (BOB, "Bob")]
    assert await found("garage is open") == [(BOB, "Bob")]
    assert await found("door") == [(HANDSET, None)]  # not only the last message's text
    assert await found("Door 5550") == []  # words are not numbers
    assert await found("nothing like it") == []
    assert (await _list(ws, search="   "))["total"] == 2


# Live changes, read marks


async def test_subscribers_hear_texts_receipts_opt_outs_and_read_marks(
    hass: HomeAssistant,
    ws: MockHAClientWebSocket,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
) -> None:
    await ws.send_json_auto_id({"type": "flowroute/conversations/subscribe"})
    subscribed = await ws.receive_json()
    assert subscribed["success"]
    assert subscribed["result"] is None
    entry_id = listening.entry_id

    await _text(hass, simulator, HANDSET, "Door code?")
    event = await _event(ws)
    assert (event["kind"], event["config_entry_id"]) == ("message", entry_id)
    assert (event["message"]["direction"], event["message"]["body"]) == ("in", "Door code?")

    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"to": HANDSET, "message": "1234", "wait_for_delivery": 60},
        blocking=True,
    )
    states = [await _event(ws) for _ in range(3)]
    assert [(e["kind"], e["message"]["state"]) for e in states] == [
        ("message", "queued"),
        ("update", "sent"),
        ("update", "delivered"),
    ]
    assert states[2]["message"]["body"] == "1234"

    await _text(hass, simulator, HANDSET, "STOP")
    heard = [await _event(ws), await _event(ws)]
    assert {"kind": "opt_out", "config_entry_id": entry_id, "did": DID_1, "number": HANDSET,
            "opted_out": True} in heard  # fmt: skip
    [stop] = [e for e in heard if e["kind"] == "message"]
    assert (stop["message"]["body"], stop["message"]["handled_by"]) == ("STOP", "keyword")

    await _call(
        ws,
        type="flowroute/conversations/mark_read",
        config_entry_id=entry_id,
        did=DID_1,
        number=HANDSET,
    )
    assert await _event(ws) == {
        "kind": "read",
        "config_entry_id": entry_id,
        "did": DID_1,
        "number": HANDSET,
    }

    await _call(ws, type="unsubscribe_events", subscription=subscribed["id"])
    await _text(hass, simulator, BOB, "Anyone?")
    # The next answer is the list's, not an event.
    listed = await _list(ws)
    assert listed["total"] == 2
    assert [(c["number"], c["opted_out"]) for c in listed["conversations"]] == [
        (BOB, False),
        (HANDSET, True),
    ]


async def test_marking_read_clears_the_unread_count(
    hass: HomeAssistant,
    ws: MockHAClientWebSocket,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
) -> None:
    await _text(hass, simulator, HANDSET, "one")
    await _text(hass, simulator, HANDSET, "two")
    assert [c["unread"] for c in (await _list(ws))["conversations"]] == [2]
    result = await _call(
        ws,
        type="flowroute/conversations/mark_read",
        config_entry_id=listening.entry_id,
        did=DID_1,
        number="(206) 555-0100",
    )
    assert result == {}
    assert [c["unread"] for c in (await _list(ws))["conversations"]] == [0]
    await hass.services.async_call(
        DOMAIN, "send_message", {"to": HANDSET, "message": "yes?"}, blocking=True
    )
    assert [c["unread"] for c in (await _list(ws))["conversations"]] == [0]  # ours: read
    await _text(hass, simulator, HANDSET, "three")
    assert [c["unread"] for c in (await _list(ws))["conversations"]] == [1]


# The compose box's count


def _cost(segments: int, encoding: str, characters: int, ucs2: str | None) -> dict[str, Any]:
    return {
        "segments": segments,
        "encoding": encoding,
        "characters": characters,
        "ucs2_character": ucs2,
    }


@pytest.mark.parametrize(
    ("plain", "text", "expected"),
    [
        (True, "Hello", _cost(1, "GSM-7", 5, None)),
        (True, "  Hello  ", _cost(1, "GSM-7", 5, None)),
        (True, "x" * 161, _cost(2, "GSM-7", 161, None)),
        (True, "It\u2019s open", _cost(1, "GSM-7", 9, None)),
        (False, "It\u2019s open", _cost(1, "UCS-2", 9, "\u2019")),
        (True, "Caf\u00e9 " * 20, _cost(2, "UCS-2", 99, "\u00e9")),
        (True, "", _cost(0, "GSM-7", 0, None)),
    ],
)
async def test_segments_are_counted_as_the_send_path_sends(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    *,
    plain: bool,
    text: str,
    expected: dict[str, Any],
) -> None:
    hass.config_entries.async_update_entry(
        listening, options={**listening.options, CONF_PLAIN_PUNCTUATION: plain}
    )
    await hass.async_block_till_done()
    ws = await hass_ws_client(hass)
    result = await _call(
        ws, type="flowroute/conversations/segments", config_entry_id=listening.entry_id, text=text
    )
    assert result == expected
    if not text.strip():
        return
    # The send path agrees.
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"to": HANDSET, "message": text},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    [item] = response["messages"]
    assert (item["segments"], item["encoding"]) == (result["segments"], result["encoding"])

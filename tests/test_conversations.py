"""The conversation store of the Texts panel: bounds, retention, restarts, and its hooks.

The store's own tests give it texts as the inbound router publishes them; the hooks'
tests go end to end: the simulator texts the loaded entry's webhook (a picture too), the
action sends to it and its receipts come back, and Assist's answers go out.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.auth.const import GROUP_ID_USER
from homeassistant.components import media_source
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.flowroute.api import MAX_MEDIA_ITEMS
from custom_components.flowroute.const import (
    CONF_ALLOW_ASSIST,
    CONF_CONVERSATION_DAYS,
    CONF_CONVERSATION_MAX_MESSAGES,
    CONF_FLOOD_GUARD,
    CONF_KEEP_CONVERSATIONS,
    CONF_NUMBER,
    CONF_NUMBERS,
    DOMAIN,
    SUBENTRY_CONTACT,
)
from custom_components.flowroute.conversations import (
    MAX_BODY_LENGTH,
    SIGNAL_CONVERSATIONS,
    ConversationStore,
    Direction,
    MessageState,
    UnknownMessageError,
    async_forget_conversations,
)
from custom_components.flowroute.messages import ReceivedMedia, ReceivedMessage, Route
from simulator.core import InboundMedia
from simulator.receipts import ReceiptRule

from .conftest import DID_1, DID_2, contact

if TYPE_CHECKING:
    from collections.abc import Callable

    from freezegun.api import FrozenDateTimeFactory

    from simulator.testing import RunningSimulator

HANDSET = "12065550100"
HANDSET_2 = "12065550101"
ALEX = "12065550102"
TIMEOUT = 30  # seconds: reached only when a test is about to fail


def _key(entry_id: str) -> str:
    return f"{DOMAIN}.{entry_id}.conversations"


def _store_entry(hass: HomeAssistant, **options: Any) -> MockConfigEntry:
    """An entry (not set up) owning the simulator's numbers, for the store alone."""
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_NUMBERS: [DID_1, DID_2]}, options=options)
    entry.add_to_hass(hass)
    return entry


async def _store(hass: HomeAssistant, entry: MockConfigEntry) -> ConversationStore:
    store = ConversationStore(hass, entry)
    await store.async_load()
    return store


def _text(
    number: str,
    body: str,
    *,
    did: str = DID_1,
    media: tuple[ReceivedMedia, ...] = (),
    handled_by: Route | None = None,
) -> ReceivedMessage:
    """A text as the inbound router publishes it."""
    return ReceivedMessage(
        config_entry_id="x",
        message_id=f"mdr2-{abs(hash((number, body))):032x}"[:37],
        from_number=number,
        to_number=did,
        body=body,
        is_mms=bool(media),
        media=media,
        timestamp=dt_util.utcnow(),
        keyword=None,
        handled_by=handled_by,
    )


def _bodies(store: ConversationStore, number: str, did: str = DID_1) -> list[str]:
    messages, _ = store.page(did, number, limit=200)
    return [message.body for message in messages]


@pytest.fixture
def heard(hass: HomeAssistant) -> list[dict[str, Any]]:
    """What the store tells the panel's subscriptions."""
    events: list[dict[str, Any]] = []

    @callback
    def record(event: dict[str, Any]) -> None:
        events.append(event)

    async_dispatcher_connect(hass, SIGNAL_CONVERSATIONS, record)
    return events


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(TIMEOUT):
        while not condition():
            await asyncio.sleep(0.02)


# The store: bounds, retention, restarts, memory only


async def test_the_oldest_texts_go_first_beyond_the_count(hass: HomeAssistant) -> None:
    store = await _store(hass, _store_entry(hass, **{CONF_CONVERSATION_MAX_MESSAGES: 100}))
    for index in range(20):
        store.async_received(_text(HANDSET, f"old {index}"))
    for index in range(100):
        store.async_received(_text(HANDSET_2, f"new {index}"))
    assert len(store) == 100
    # A conversation lasts while it holds a message: their count is bounded too.
    assert [(c.did, c.number) for c in store.conversations()] == [(DID_1, HANDSET_2)]
    assert store.conversation(DID_1, HANDSET) is None
    store.async_received(_text(HANDSET, "back"))
    assert _bodies(store, HANDSET_2)[0] == "new 1"
    assert _bodies(store, HANDSET) == ["back"]


async def test_a_bound_set_by_hand_is_kept_within_the_options_range(hass: HomeAssistant) -> None:
    store = await _store(hass, _store_entry(hass, **{CONF_CONVERSATION_MAX_MESSAGES: 3}))
    for index in range(120):
        store.async_received(_text(HANDSET, f"text {index}"))
    assert len(store) == 100


async def test_texts_age_out_even_when_nothing_arrives(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    store = await _store(hass, _store_entry(hass, **{CONF_CONVERSATION_DAYS: 2}))
    store.async_received(_text(HANDSET, "Monday"))
    freezer.tick(timedelta(days=1))
    store.async_received(_text(HANDSET, "Tuesday"))
    freezer.tick(timedelta(days=1, hours=2))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()
    assert _bodies(store, HANDSET) == ["Tuesday"]
    freezer.tick(timedelta(days=1))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()
    assert len(store) == 0
    assert store.conversations() == []
    await store.async_unload()


async def test_a_restart_finds_the_conversations_as_they_were(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    entry = _store_entry(hass)
    store = await _store(hass, entry)
    store.async_received(_text(HANDSET, "Door code?", handled_by=Route.QUESTION))
    store.async_mark_read(DID_1, HANDSET)
    store.async_received(_text(HANDSET, "Hello?"))
    store.async_received(_text(HANDSET_2, "Hi", did=DID_2))
    await store.async_unload()
    assert len(hass_storage[_key(entry.entry_id)]["data"]["messages"]) == 3

    again = await _store(hass, entry)
    before, _ = store.page(DID_1, HANDSET, limit=10)
    after, has_more = again.page(DID_1, HANDSET, limit=10)
    assert [m.as_dict() for m in after] == [m.as_dict() for m in before]
    assert not has_more
    assert after[0].handled_by == "question"
    assert after[0].state is MessageState.RECEIVED
    conversation = again.conversation(DID_1, HANDSET)
    assert conversation is not None
    assert conversation.unread == 1  # read up to "Door code?"
    # New texts come after the restored ones.
    again.async_received(_text(HANDSET, "Anyone?"))
    assert _bodies(again, HANDSET) == ["Door code?", "Hello?", "Anyone?"]
    older, has_more = again.page(DID_1, HANDSET, limit=1, before=after[1].id)
    assert [m.body for m in older] == ["Door code?"]
    assert not has_more
    await again.async_unload()


async def test_retention_applies_to_what_is_loaded(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = _store_entry(hass)
    store = await _store(hass, entry)
    for index in range(150):
        store.async_received(_text(HANDSET, f"last week {index}"))
    freezer.tick(timedelta(days=6))
    store.async_received(_text(HANDSET, "today"))
    await store.async_unload()

    hass.config_entries.async_update_entry(
        entry, options={CONF_CONVERSATION_DAYS: 30, CONF_CONVERSATION_MAX_MESSAGES: 100}
    )
    trimmed = await _store(hass, entry)
    assert len(trimmed) == 100
    assert _bodies(trimmed, HANDSET)[-2:] == ["last week 149", "today"]
    await trimmed.async_unload()

    hass.config_entries.async_update_entry(entry, options={CONF_CONVERSATION_DAYS: 1})
    aged = await _store(hass, entry)
    assert _bodies(aged, HANDSET) == ["today"]
    await aged.async_unload()


async def test_what_does_not_make_sense_in_storage_is_skipped(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    entry = _store_entry(hass)
    store = await _store(hass, entry)
    store.async_received(_text(HANDSET, "kept"))
    await store.async_unload()
    data = hass_storage[_key(entry.entry_id)]["data"]
    [good] = data["messages"]
    data["messages"] = [
        {**good, "id": "no-time", "time": "soon"},
        {**good, "id": "naive", "time": "2026-11-02T10:00:00"},
        {**good, "id": "bad-state", "state": "exploded"},
        {**good, "id": "bad-media", "media": "picture"},
        {**good, "id": "x" * 500},
        {**good, "id": "bad-route", "handled_by": "nobody"},
        {key: value for key, value in good.items() if key != "body"},
        "not a message",
        good,
    ]
    data["read"] = [["only", "two"], [DID_1, HANDSET, "late"], 7]
    again = await _store(hass, entry)
    assert [m.id for m in again.page(DID_1, HANDSET, limit=50)[0]] == [good["id"]]
    await again.async_unload()


async def test_fields_are_bounded(hass: HomeAssistant) -> None:
    store = await _store(hass, _store_entry(hass))
    pictures = tuple(
        ReceivedMedia(
            url=f"https://media.flowroute.com/{index}",
            mime_type="image/png",
            file_name=f"{'p' * 300}.png",
            file_size=10,
            local_path="/media/x.png",
            media_content_id="media-source://flowroute/" + "x" * 2_000,
        )
        for index in range(MAX_MEDIA_ITEMS + 5)
    )
    text_part = ReceivedMedia(
        url="https://media.flowroute.com/t", mime_type="text/plain", file_name="t.txt", file_size=3
    )
    store.async_received(_text(HANDSET, "y" * 9_000, media=(text_part, *pictures)))
    [message] = store.page(DID_1, HANDSET, limit=1)[0]
    assert len(message.body) == MAX_BODY_LENGTH
    assert message.body.endswith("…")
    assert len(message.media) == MAX_MEDIA_ITEMS - 1  # the text part is the body
    assert all(item.mime_type == "image/png" for item in message.media)
    assert all(len(item.file_name or "") == 255 for item in message.media)
    # A cut id would name another file: none is given.
    assert all(item.media_content_id is None for item in message.media)
    assert "flowroute.com" not in json.dumps(message.as_dict())


async def test_paging_refuses_an_id_of_another_conversation(hass: HomeAssistant) -> None:
    store = await _store(hass, _store_entry(hass))
    store.async_received(_text(HANDSET, "one"))
    store.async_received(_text(HANDSET_2, "two"))
    [other], _ = store.page(DID_1, HANDSET_2, limit=5)
    with pytest.raises(UnknownMessageError):
        store.page(DID_1, HANDSET, limit=5, before=other.id)
    with pytest.raises(UnknownMessageError):
        store.page(DID_1, HANDSET, limit=5, before="gone")


async def test_turned_off_they_live_in_memory_only(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    entry = _store_entry(hass)
    store = await _store(hass, entry)
    store.async_received(_text(HANDSET, "kept on disk"))
    await store.async_unload()
    assert _key(entry.entry_id) in hass_storage

    hass.config_entries.async_update_entry(entry, options={CONF_KEEP_CONVERSATIONS: False})
    memory = await _store(hass, entry)
    assert not memory.stored
    # Turned off: what was kept is deleted, not shown.
    assert _key(entry.entry_id) not in hass_storage
    assert len(memory) == 0
    memory.async_received(_text(HANDSET, "since the start"))
    memory.async_mark_read(DID_1, HANDSET)
    await hass.async_block_till_done()
    await memory.async_unload()
    assert _key(entry.entry_id) not in hass_storage

    # An options change reloads the entry: what arrived is still there, read as it was.
    reloaded = await _store(hass, entry)
    assert _bodies(reloaded, HANDSET) == ["since the start"]
    conversation = reloaded.conversation(DID_1, HANDSET)
    assert conversation is not None
    assert conversation.unread == 0
    await reloaded.async_unload()
    async_forget_conversations(hass, entry.entry_id)
    assert len(await _store(hass, entry)) == 0


# The entry: removal, and the hooks of the deciding modules


async def test_removing_the_entry_removes_its_conversations(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator, hass_storage: dict
) -> None:
    simulator.inject_inbound(from_=HANDSET, to=DID_1, body="Door code?")
    await simulator.idle()
    await hass.async_block_till_done()
    assert len(listening.runtime_data.conversations) == 1
    assert await hass.config_entries.async_unload(listening.entry_id)
    assert hass_storage[_key(listening.entry_id)]["data"]["messages"]
    await hass.config_entries.async_remove(listening.entry_id)
    await hass.async_block_till_done()
    assert _key(listening.entry_id) not in hass_storage


@pytest.fixture
async def media_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A temporary local media folder, and media_source (before the server starts)."""
    folder = tmp_path / "media"
    hass.config.media_dirs = {"local": str(folder)}
    assert await async_setup_component(hass, "media_source", {})
    return folder


async def test_an_inbound_picture_is_kept_as_the_file_saved(
    hass: HomeAssistant,
    media_dir: Path,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    heard: list[dict[str, Any]],
) -> None:
    record = simulator.inject_inbound(
        from_=HANDSET, to=DID_1, body="Look", media=[InboundMedia(file_name="cat.png")], smil=True
    )
    store = listening.runtime_data.conversations
    await _until(lambda: len(store) == 1)
    [message] = store.page(DID_1, HANDSET, limit=5)[0]
    assert (message.direction, message.body, message.state) == (
        Direction.IN,
        "Look",
        MessageState.RECEIVED,
    )
    assert message.message_id == record.message_id
    [picture] = message.media  # the carrier's SMIL layout is no picture
    assert picture.mime_type == "image/png"
    assert picture.file_name == "cat.png"
    assert picture.media_content_id is not None
    assert picture.media_content_id.startswith(f"media-source://{DOMAIN}/{listening.entry_id}/")
    day, name = picture.media_content_id.rsplit("/", 2)[-2:]
    assert (media_dir / "flowroute" / listening.entry_id / day / name).is_file()
    # The panel shows it through Home Assistant's own authenticated view.
    resolved = await media_source.async_resolve_media(hass, picture.media_content_id, None)
    assert resolved.url.startswith(f"/api/flowroute/inbound_media/{listening.entry_id}/")
    # Never Flowroute's link (it expires, and it is not Home Assistant's to hand out).
    assert simulator.url not in json.dumps(message.as_dict())
    assert [event["kind"] for event in heard] == ["message"]
    assert heard[0]["config_entry_id"] == listening.entry_id
    assert heard[0]["message"] == message.as_dict()


async def test_a_sent_text_moves_from_queued_to_delivered(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    heard: list[dict[str, Any]],
) -> None:
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"to": HANDSET, "message": "Garage door is open", "wait_for_delivery": 60},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    [item] = response["messages"]
    assert item["delivery_state"] == "delivered"
    await hass.async_block_till_done()
    [message] = listening.runtime_data.conversations.page(DID_1, HANDSET, limit=5)[0]
    assert message.direction is Direction.OUT
    assert (message.state, message.message_id, message.origin) == (
        MessageState.DELIVERED,
        item["message_id"],
        None,
    )
    assert [(event["kind"], event["message"]["state"]) for event in heard] == [
        ("message", "queued"),
        ("update", "sent"),
        ("update", "delivered"),
    ]
    assert {event["message"]["id"] for event in heard} == {message.id}


async def test_a_failed_receipt_says_why(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    simulator.set_receipts(ReceiptRule(code=1116))
    await hass.services.async_call(
        DOMAIN, "send_message", {"to": HANDSET, "message": "Hi"}, blocking=True
    )
    store = listening.runtime_data.conversations
    await _until(lambda: store.page(DID_1, HANDSET, limit=1)[0][0].state is MessageState.FAILED)
    [message] = store.page(DID_1, HANDSET, limit=1)[0]
    assert message.status_code == 1116
    assert message.status_description


async def test_refused_sends_are_kept_as_blocked(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await hass.services.async_call(DOMAIN, "opt_out", {"number": HANDSET}, blocking=True)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "send_message", {"to": HANDSET, "message": "Hello"}, blocking=True
        )
    hass.config_entries.async_update_entry(
        listening, options={**listening.options, CONF_FLOOD_GUARD: 1}
    )
    await hass.async_block_till_done()  # reloaded
    await hass.services.async_call(
        DOMAIN, "send_message", {"to": HANDSET_2, "message": "one"}, blocking=True
    )
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "send_message", {"to": HANDSET_2, "message": "two"}, blocking=True
        )
    store = listening.runtime_data.conversations
    [blocked] = store.page(DID_1, HANDSET, limit=5)[0]
    assert (blocked.body, blocked.state, blocked.message_id) == (
        "Hello",
        MessageState.BLOCKED_OPTED_OUT,
        None,
    )
    one, two = store.page(DID_1, HANDSET_2, limit=5)[0]
    assert one.state is not MessageState.BLOCKED_FLOOD_GUARD
    assert (two.body, two.state) == ("two", MessageState.BLOCKED_FLOOD_GUARD)
    # Nothing of them reached Flowroute.
    assert [record.body for record in simulator.state.sent_messages()] == ["one"]


async def test_keyword_replies_and_questions_say_what_sent_them(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    store = listening.runtime_data.conversations
    simulator.inject_inbound(from_=HANDSET, to=DID_1, body="HELP")
    await _until(lambda: len(store) == 2)
    help_text, reply = store.page(DID_1, HANDSET, limit=5)[0]
    assert (help_text.direction, help_text.handled_by) == (Direction.IN, "keyword")
    assert (reply.direction, reply.origin) == (Direction.OUT, "keyword")

    asked = hass.async_create_task(
        hass.services.async_call(
            DOMAIN,
            "ask",
            {"to": HANDSET_2, "question": "Close the garage?", "answers": ["yes", "no"]},
            blocking=True,
            return_response=True,
        )
    )
    await _until(lambda: store.conversation(DID_1, HANDSET_2) is not None)
    simulator.inject_inbound(from_=HANDSET_2, to=DID_1, body="maybe")
    await _until(lambda: len(store.page(DID_1, HANDSET_2, limit=9)[0]) == 3)
    simulator.inject_inbound(from_=HANDSET_2, to=DID_1, body="yes")
    response = await asked
    assert response is not None
    assert response["answer"]["id"] == "yes"
    question, maybe, reprompt, yes = store.page(DID_1, HANDSET_2, limit=9)[0]
    assert (question.origin, reprompt.origin) == ("ask", "question")
    assert (maybe.handled_by, yes.handled_by) == ("question", "question")


@pytest.fixture
async def alex(hass: HomeAssistant) -> str:
    """A Home Assistant user (not an administrator) for Alex, who may talk to Assist."""
    await hass.auth.async_create_user("Owner")
    user = await hass.auth.async_create_user("Alex", group_ids=[GROUP_ID_USER])
    return user.id


@pytest.fixture
def subentries_data(alex: str) -> list[ConfigSubentryData]:
    """Alex, who may talk to Assist, and Bob (overrides conftest's: no contacts)."""
    return [
        ConfigSubentryData(
            data={CONF_NAME: "Alex", CONF_NUMBER: ALEX, CONF_ALLOW_ASSIST: True, "user_id": alex},
            subentry_type=SUBENTRY_CONTACT,
            title="Alex",
            unique_id=ALEX,
        ),
        contact("Bob", HANDSET),
    ]


@pytest.fixture
async def assist(hass: HomeAssistant) -> None:
    """Assist with the built-in agent (set up before the server starts)."""
    for component in ("homeassistant", "intent", "conversation", "assist_pipeline"):
        assert await async_setup_component(hass, component, {})


async def test_assist_answers_are_marked_as_such(
    hass: HomeAssistant, assist: None, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    store = listening.runtime_data.conversations
    simulator.inject_inbound(from_=ALEX, to=DID_1, body="What time is it?")
    await _until(lambda: len(store) == 2)
    asked, answer = store.page(DID_1, ALEX, limit=5)[0]
    assert (asked.body, asked.handled_by) == ("What time is it?", "assist")
    assert (answer.direction, answer.origin) == (Direction.OUT, "assist")
    await _until(lambda: answer.state is MessageState.DELIVERED)
    [record] = simulator.state.sent_messages()
    assert record.body == answer.body

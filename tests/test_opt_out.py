"""STOP is honoured: keywords, the persistent opt-out list, and every send path refusing.

The simulator plays Flowroute and the handsets: texts reach the loaded entry through its
real webhook (the simulator's callbacks), sends go to the simulator over HTTP.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.flowroute import opt_out as opt_out_module
from custom_components.flowroute.const import (
    CONF_HELP_REPLY,
    CONF_START_REPLY,
    DEFAULT_HELP_REPLY,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_OPT_OUT_CHANGED,
)
from custom_components.flowroute.opt_out import OptOutList, OptOutReason
from simulator.faults import Fault, FaultKind, FaultTarget
from simulator.receipts import ReceiptRule

from .conftest import DID_1, DID_2, WEBHOOK_ID, contact

if TYPE_CHECKING:
    from homeassistant.core import Event, HomeAssistant

    from simulator.testing import RunningSimulator

HANDSET = "12065550100"
OTHER = "12065550111"
STORE_KEY = "flowroute.{entry_id}.opt_outs"


@pytest.fixture
def subentries_data() -> list[ConfigSubentryData]:
    """One contact, Alice: her notify entity is one of the send paths."""
    return [contact("Alice", HANDSET)]


@pytest.fixture
def changes(hass: HomeAssistant) -> list[Event]:
    return async_capture_events(hass, EVENT_OPT_OUT_CHANGED)


async def _text(
    hass: HomeAssistant, simulator: RunningSimulator, body: str, *, to: str = DID_1
) -> None:
    """A handset texts the house; wait until Home Assistant has dealt with it."""
    simulator.inject_inbound(from_=HANDSET, to=to, body=body)
    await simulator.idle()
    await hass.async_block_till_done()


async def _send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )
    assert response is not None
    return response


def _opted_out(entry: MockConfigEntry, did: str, number: str = HANDSET) -> bool:
    return entry.runtime_data.opt_outs.is_opted_out(did, number)


def _sent_to(simulator: RunningSimulator, number: str) -> list[str]:
    return [m.body for m in simulator.state.sent_messages() if m.to_number == number]


def _attempts_to(simulator: RunningSimulator, number: str) -> list[int | None]:
    """Statuses of every send to `number` that reached the simulator, refused ones too."""
    return [a.status for a in simulator.state.send_attempts if a.to_number == number]


async def _wait_sent(simulator: RunningSimulator, number: str, count: int) -> list[str]:
    """Wait for `count` texts to `number` (replies leave through the outbox, in the background)."""
    async with asyncio.timeout(20):
        while len(sent := _sent_to(simulator, number)) < count:
            await asyncio.sleep(0.05)
    return sent


async def _counter(hass: HomeAssistant, key: str, did: str = DID_1) -> str:
    # Sensors write once per turn of the event loop: let the turn finish.
    await asyncio.sleep(0)
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{did}_{key}")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


# Keywords


@pytest.mark.parametrize(
    "body", ["STOP", "stop", " Stop! ", "UNSUBSCRIBE", "cancel", "End", "quit"]
)
async def test_stop_keywords_opt_out_of_that_number(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    changes: list[Event],
    body: str,
) -> None:
    await _text(hass, simulator, body)
    assert _opted_out(listening, DID_1)
    assert not _opted_out(listening, DID_2)
    assert [c.data for c in changes] == [
        {
            "did": DID_1,
            "number": HANDSET,
            "opted_out": True,
            "reason": "keyword",
            "config_entry_id": listening.entry_id,
        }
    ]
    assert await _counter(hass, "opted_out_recipients") == "1"
    # No reply to STOP: Flowroute and the carriers send their own.
    assert _sent_to(simulator, HANDSET) == []


@pytest.mark.parametrize(
    "body", ["please stop the alarm", "stop it", "STÖP", "\u0421\u0422\u041e\u041f", "stopp"]
)
async def test_near_misses_opt_nobody_out(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    changes: list[Event],
    body: str,
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await _text(hass, simulator, body)
    assert [event.data["body"] for event in events] == [body]
    assert changes == []
    assert not _opted_out(listening, DID_1)


async def test_stopall_opts_out_of_every_number(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await _text(hass, simulator, "StopAll")
    assert _opted_out(listening, DID_1)
    assert _opted_out(listening, DID_2)
    # START to one number opts back in to that number only.
    await _text(hass, simulator, "START", to=DID_2)
    assert _opted_out(listening, DID_1)
    assert not _opted_out(listening, DID_2)


@pytest.mark.parametrize("body", ["START", "unstop", "Yes!"])
async def test_start_keywords_opt_back_in(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    changes: list[Event],
    body: str,
) -> None:
    await _text(hass, simulator, "STOP")
    await _text(hass, simulator, body)
    assert not _opted_out(listening, DID_1)
    assert [(c.data["opted_out"], c.data["reason"]) for c in changes] == [
        (True, "keyword"),
        (False, "keyword"),
    ]
    # No confirmation unless the user configured one.
    assert _sent_to(simulator, HANDSET) == []


async def test_start_confirmation_only_when_it_lifted_a_block(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    hass.config_entries.async_update_entry(
        listening, options={**listening.options, CONF_START_REPLY: "Welcome back!"}
    )
    await hass.async_block_till_done()  # the options change reloads the entry
    # "Yes" as an everyday answer from someone who never opted out: no confirmation.
    await _text(hass, simulator, "yes")
    await _text(hass, simulator, "STOP")
    await _text(hass, simulator, "start")
    assert await _wait_sent(simulator, HANDSET, 1) == ["Welcome back!"]
    await _text(hass, simulator, "start")  # no longer opted out: nothing more
    await asyncio.sleep(0.5)
    assert _sent_to(simulator, HANDSET) == ["Welcome back!"]


async def test_help_gets_the_default_reply_from_the_same_number(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await _text(hass, simulator, "help", to=DID_2)
    await _wait_sent(simulator, HANDSET, 1)
    assert [event.data["keyword"] for event in events] == ["help"]
    [reply] = [m for m in simulator.state.sent_messages() if m.to_number == HANDSET]
    assert (reply.body, reply.from_number) == (DEFAULT_HELP_REPLY, DID_2)
    assert "STOP" in DEFAULT_HELP_REPLY


async def test_help_reply_can_be_turned_off(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    hass.config_entries.async_update_entry(
        listening, options={**listening.options, CONF_HELP_REPLY: ""}
    )
    await hass.async_block_till_done()
    await _text(hass, simulator, "INFO")
    await hass.async_block_till_done()
    await simulator.idle()
    assert _sent_to(simulator, HANDSET) == []


async def test_help_reply_is_not_sent_to_who_opted_out(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await _text(hass, simulator, "STOP")
    attempts = len(simulator.state.send_attempts)
    await _text(hass, simulator, "HELP")
    await hass.async_block_till_done()
    assert len(simulator.state.send_attempts) == attempts
    assert await _counter(hass, "messages_blocked") == "1"


# 1110 from Flowroute


async def test_receipt_with_1110_opts_out(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    changes: list[Event],
) -> None:
    simulator.set_receipts(ReceiptRule(code=1110, to=HANDSET))
    response = await _send(hass, to=HANDSET, message="Garage open", wait_for_delivery=10)
    assert response["messages"][0]["delivery_state"] == "opted_out"
    await hass.async_block_till_done()
    assert [(c.data["did"], c.data["reason"]) for c in changes] == [(DID_1, "delivery_receipt")]
    with pytest.raises(ServiceValidationError):
        await _send(hass, to=HANDSET, message="Garage still open")
    assert len(_sent_to(simulator, HANDSET)) == 1
    # Refused here: the second text never reached Flowroute.
    assert _attempts_to(simulator, HANDSET) == [202]


# Every send path


async def test_every_send_path_is_refused_before_anything_leaves(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await _text(hass, simulator, "STOP")
    assert await async_setup_component(hass, "notify", {})
    calls: list[tuple[str, str, dict[str, Any]]] = [
        (DOMAIN, "send_message", {"to": "+1 206 555 0100", "message": "a"}),
        ("notify", "send_message", {"entity_id": "notify.alice", "message": "b"}),
        ("notify", DOMAIN, {"target": [HANDSET], "message": "c"}),
    ]
    for domain, service, data in calls:
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(domain, service, data, blocking=True)
        assert err.value.translation_key == "opted_out"
        assert err.value.translation_placeholders == {
            "to": "+1 206 555 0100",
            "from": "+1 206 555 0199",
        }
    assert simulator.state.send_attempts == []
    await hass.async_block_till_done()
    assert await _counter(hass, "messages_blocked") == "3"
    assert await _counter(hass, "messages_sent") == "0"
    # Another number of the account may still text them.
    await _send(hass, to=HANDSET, message="d", **{"from": DID_2})
    assert _sent_to(simulator, HANDSET) == ["d"]


async def test_action_with_several_recipients_sends_to_the_others(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await _text(hass, simulator, "STOP")
    response = await _send(hass, to=[OTHER, HANDSET], message="Storm warning")
    assert [(m["to"], m["status"]) for m in response["messages"]] == [
        (OTHER, "accepted"),
        (HANDSET, "blocked_opted_out"),
    ]
    blocked = response["messages"][1]
    assert blocked["message_id"] is None
    await simulator.idle()
    assert _sent_to(simulator, OTHER) == ["Storm warning"]
    # Not even tried: the simulator would have refused it with 1110 anyway.
    assert _attempts_to(simulator, HANDSET) == []
    await hass.async_block_till_done()
    assert await _counter(hass, "messages_blocked") == "1"


async def test_legacy_notify_with_several_targets_sends_the_others_then_says_so(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await _text(hass, simulator, "STOP")
    assert await async_setup_component(hass, "notify", {})
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify", DOMAIN, {"target": [HANDSET, OTHER], "message": "x"}, blocking=True
        )
    assert err.value.translation_placeholders["to"] == "+1 206 555 0100"
    await simulator.idle()
    assert _sent_to(simulator, OTHER) == ["x"]
    assert _attempts_to(simulator, HANDSET) == []


async def test_a_queued_message_is_dropped_when_its_recipient_opts_out(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    # Flowroute is down: the message waits in the outbox, then the handset texts STOP.
    fault = simulator.add_fault(Fault(kind=FaultKind.STATUS, status=503, target=FaultTarget.SENDS))
    response = await _send(hass, to=HANDSET, message="queued")
    assert response["messages"][0]["status"] == "queued"
    await _text(hass, simulator, "STOP")
    simulator.remove_fault(fault)
    outbox = listening.runtime_data.outbox
    async with asyncio.timeout(30):
        while outbox.pending:
            await asyncio.sleep(0.05)
    await hass.async_block_till_done()
    assert _sent_to(simulator, HANDSET) == []
    # Only the attempts Flowroute refused while it was down: none after the STOP.
    assert set(_attempts_to(simulator, HANDSET)) == {503}
    assert await _counter(hass, "messages_blocked") == "1"
    assert await _counter(hass, "messages_failed") == "0"


# One phone, however its number is written


async def test_a_stop_from_a_number_without_its_leading_1_blocks_it(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    public_url: str,
    changes: list[Event],
) -> None:
    """Flowroute may post a North American number with 10 digits: still the same phone."""
    stop = {
        "data": {
            "id": f"mdr2-{uuid.uuid4().hex}",
            "type": "message",
            "attributes": {
                "body": "STOP",
                "direction": "inbound",
                "from": HANDSET[1:],
                "to": DID_1,
                "is_mms": False,
                "timestamp": "2026-12-01T12:00:00.000Z",
            },
        }
    }
    session = async_get_clientsession(hass)
    async with session.post(f"{public_url}/api/webhook/{WEBHOOK_ID}", json=stop) as response:
        assert response.status == 200
    await hass.async_block_till_done()
    assert [(c.data["did"], c.data["number"]) for c in changes] == [(DID_1, HANDSET)]

    with pytest.raises(ServiceValidationError) as err:
        await _send(hass, to="+1 (206) 555-0100", message="hello")
    assert err.value.translation_key == "opted_out"
    # The simulator never saw that STOP: only the list kept the text from leaving.
    assert simulator.state.send_attempts == []


@pytest.mark.parametrize("written", ["2065550100", "1 206 555 0100", "+1 (206) 555-0100"])
async def test_numbers_are_compared_in_one_form(
    hass: HomeAssistant, config_entry: MockConfigEntry, written: str
) -> None:
    opt_outs = OptOutList(hass, config_entry)
    await opt_outs.async_load()
    assert opt_outs.async_set(f"+{DID_1}", written, opted_out=True, reason=OptOutReason.KEYWORD)
    assert opt_outs.is_opted_out(DID_1, HANDSET)
    assert opt_outs.is_opted_out(DID_1[1:], HANDSET[1:])
    assert not opt_outs.async_set(DID_1, HANDSET, opted_out=True, reason=OptOutReason.ACTION)
    assert [(o.did, o.number) for o in opt_outs.entries()] == [(DID_1, HANDSET)]
    assert opt_outs.async_set(DID_1[1:], written, opted_out=False, reason=OptOutReason.KEYWORD)
    assert opt_outs.entries() == []


async def test_the_list_is_bounded_but_keeps_every_stop_to_the_entrys_numbers(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(opt_out_module, "MAX_OPT_OUTS", 2)
    other_did = "12065550177"  # of the account, not configured in the entry
    opt_outs = OptOutList(hass, config_entry)
    await opt_outs.async_load()
    keyword = OptOutReason.KEYWORD
    assert opt_outs.async_set(other_did, HANDSET, opted_out=True, reason=keyword)
    assert opt_outs.async_set(other_did, OTHER, opted_out=True, reason=keyword)
    with caplog.at_level(logging.WARNING):
        assert not opt_outs.async_set(other_did, "12065550122", opted_out=True, reason=keyword)
    assert "holds 2 numbers, its limit" in caplog.text
    assert not opt_outs.is_opted_out(other_did, "12065550122")
    # Past the bound, a STOP to one of the entry's own numbers is still honoured.
    assert opt_outs.async_set_all("12065550122", opted_out=True, reason=keyword) == [DID_1, DID_2]
    assert opt_outs.is_opted_out(DID_1, "12065550122")
    # Below the bound again, other numbers are recorded again.
    assert opt_outs.async_set_all("12065550122", opted_out=False, reason=keyword) == [DID_1, DID_2]
    assert opt_outs.async_set(other_did, OTHER, opted_out=False, reason=keyword)
    assert opt_outs.async_set(other_did, "12065550122", opted_out=True, reason=keyword)
    assert opt_outs.count(other_did) == 2


# Actions


async def test_opt_out_and_opt_in_actions(
    hass: HomeAssistant, listening: MockConfigEntry, changes: list[Event]
) -> None:
    await hass.services.async_call(
        DOMAIN, "opt_out", {"number": "(206) 555-0100", "did": "+1 206 555 0188"}, blocking=True
    )
    assert _opted_out(listening, DID_2)
    assert not _opted_out(listening, DID_1)
    await hass.services.async_call(DOMAIN, "opt_out", {"number": OTHER}, blocking=True)
    assert _opted_out(listening, DID_1, OTHER)
    assert _opted_out(listening, DID_2, OTHER)
    assert {c.data["reason"] for c in changes} == {"action"}

    response = await hass.services.async_call(
        DOMAIN, "list_opt_outs", {}, blocking=True, return_response=True
    )
    assert response is not None
    listed = [(item["did"], item["number"], item["reason"]) for item in response["opt_outs"]]
    assert sorted(listed) == sorted(
        [(DID_1, OTHER, "action"), (DID_2, HANDSET, "action"), (DID_2, OTHER, "action")]
    )
    assert all(item["config_entry_id"] == listening.entry_id for item in response["opt_outs"])
    response = await hass.services.async_call(
        DOMAIN, "list_opt_outs", {"did": DID_1}, blocking=True, return_response=True
    )
    assert response is not None
    assert [item["number"] for item in response["opt_outs"]] == [OTHER]

    await hass.services.async_call(DOMAIN, "opt_in", {"number": OTHER}, blocking=True)
    assert not _opted_out(listening, DID_1, OTHER)
    assert not _opted_out(listening, DID_2, OTHER)
    assert _opted_out(listening, DID_2)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"number": "12"}, "invalid_number"),
        ({"number": HANDSET, "did": "+1 206 555 0177"}, "unknown_did"),
        ({"number": HANDSET, "config_entry_id": "nope"}, "entry_not_loaded"),
    ],
)
async def test_opt_out_action_refuses_bad_input(
    hass: HomeAssistant, listening: MockConfigEntry, data: dict[str, str], key: str
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "opt_out", data, blocking=True)
    assert err.value.translation_key == key
    assert listening.runtime_data.opt_outs.entries() == []


# Persistence


async def test_the_list_survives_a_reload_and_is_saved_promptly(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    hass_storage: dict[str, Any],
) -> None:
    await _text(hass, simulator, "STOP")
    key = STORE_KEY.format(entry_id=listening.entry_id)
    assert await hass.config_entries.async_reload(listening.entry_id)
    await hass.async_block_till_done()
    assert listening.state is ConfigEntryState.LOADED
    assert _opted_out(listening, DID_1)
    [[number, reason, _since]] = hass_storage[key]["data"]["dids"][DID_1]
    assert (number, reason) == (HANDSET, "keyword")
    with pytest.raises(ServiceValidationError):
        await _send(hass, to=HANDSET, message="after the reload")
    assert _attempts_to(simulator, HANDSET) == []
    assert await _counter(hass, "opted_out_recipients") == "1"


async def test_the_list_is_loaded_at_start_up(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    hass_storage: dict[str, Any],
) -> None:
    # What a previous run saved; a number saved without its leading 1 is the same phone.
    hass_storage[STORE_KEY.format(entry_id=config_entry.entry_id)] = {
        "version": 1,
        "key": STORE_KEY.format(entry_id=config_entry.entry_id),
        "data": {
            "dids": {
                DID_1: [[HANDSET, "keyword", 1_790_000_000.0]],
                DID_2[1:]: [[OTHER[1:], "action", 1_790_000_001]],
            }
        },
    }
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    opt_outs = config_entry.runtime_data.opt_outs
    assert opt_outs.available
    assert [(o.did, o.number, o.reason) for o in opt_outs.entries()] == [
        (DID_1, HANDSET, OptOutReason.KEYWORD),
        (DID_2, OTHER, OptOutReason.ACTION),
    ]
    with pytest.raises(ServiceValidationError):
        await _send(hass, to=HANDSET, message="hello")
    with pytest.raises(ServiceValidationError):
        await _send(hass, to=OTHER, message="hello", **{"from": DID_2})
    # The simulator knows of no STOP here: only the list kept these from leaving.
    assert simulator.state.send_attempts == []


@pytest.mark.parametrize(
    "dids",
    [
        pytest.param({DID_1: [[HANDSET, "keyword"]]}, id="short row"),
        pytest.param({DID_1: [[HANDSET, "keyword", 1, "x"]]}, id="long row"),
        pytest.param({DID_1: [[HANDSET, "bogus", 1]]}, id="unknown reason"),
        pytest.param({DID_1: [[HANDSET, "keyword", "yesterday"]]}, id="time not a number"),
        pytest.param({DID_1: [[HANDSET, "keyword", -1]]}, id="time before 1970"),
        pytest.param({DID_1: [[HANDSET, "keyword", 1e300]]}, id="time after 9999"),
        pytest.param({DID_1: [[12065550100, "keyword", 1]]}, id="number not text"),
        pytest.param({DID_1: [["+1 206 555 0100", "keyword", 1]]}, id="number not digits"),
        pytest.param({DID_1: [["", "keyword", 1]]}, id="empty number"),
        pytest.param({DID_1: [HANDSET]}, id="row not a list"),
        pytest.param({DID_1: [[[HANDSET], "keyword", 1]]}, id="number a list"),
        pytest.param({DID_1: {HANDSET: "keyword"}}, id="rows not a list"),
        pytest.param({"main line": []}, id="did not a number"),
    ],
)
async def test_a_list_with_any_unreadable_row_is_unavailable(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    dids: dict[str, Any],
) -> None:
    key = STORE_KEY.format(entry_id=config_entry.entry_id)
    good = [OTHER, "keyword", 1_790_000_000.0]
    rows = dids.get(DID_1)
    if isinstance(rows, list):  # the bad row among good ones
        dids = {**dids, DID_1: [good, *rows]}
    hass_storage[key] = {"version": 1, "key": key, "data": {"dids": dids}}
    opt_outs = OptOutList(hass, config_entry)
    await opt_outs.async_load()
    assert not opt_outs.available


async def test_numbers_saved_in_other_forms_load_in_one(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    key = STORE_KEY.format(entry_id=config_entry.entry_id)
    rows = [
        [HANDSET[1:], "keyword", 1_790_000_000.0],  # saved by 0.1.0 from a callback
        ["447700900123", "action", 1_790_000_001],  # 12 digits: the lengths still add up
    ]
    hass_storage[key] = {"version": 1, "key": key, "data": {"dids": {DID_1: rows}}}
    opt_outs = OptOutList(hass, config_entry)
    await opt_outs.async_load()
    assert opt_outs.available
    assert opt_outs.is_opted_out(DID_1, HANDSET)
    assert opt_outs.is_opted_out(DID_1, "447700900123")
    assert opt_outs.latest(DID_1, 5) == ["447700900123", HANDSET]


async def test_a_large_list_loads(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    rows = [[f"1206{index:07d}", "keyword", 1_790_000_000.0 + index] for index in range(100_000)]
    key = STORE_KEY.format(entry_id=config_entry.entry_id)
    hass_storage[key] = {"version": 1, "key": key, "data": {"dids": {DID_1: rows}}}
    opt_outs = OptOutList(hass, config_entry)
    await opt_outs.async_load()
    assert opt_outs.count(DID_1) == 100_000
    assert opt_outs.is_opted_out(DID_1, "12060099999")
    assert not opt_outs.is_opted_out(DID_2, "12060099999")
    assert opt_outs.latest(DID_1, 2) == ["12060099999", "12060099998"]


async def test_the_list_goes_with_the_entry(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    hass_storage: dict[str, Any],
) -> None:
    await _text(hass, simulator, "STOP")
    key = STORE_KEY.format(entry_id=listening.entry_id)
    await hass.config_entries.async_unload(listening.entry_id)
    assert key in hass_storage
    await hass.config_entries.async_remove(listening.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


# End to end: an automation, a contact who texts STOP then START


async def test_automation_respects_stop_and_start(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Door alert",
                "trigger": {"platform": "event", "event_type": "door_opened"},
                "action": {
                    "action": "flowroute.send_message",
                    "data": {"to": HANDSET, "message": "The door opened"},
                },
            }
        },
    )
    await _text(hass, simulator, "STOP")
    hass.bus.async_fire("door_opened")
    await hass.async_block_till_done()
    await simulator.idle()
    # Refused locally: Flowroute never saw an attempt.
    assert simulator.state.send_attempts == []
    assert await _counter(hass, "messages_blocked") == "1"

    await _text(hass, simulator, "START")
    hass.bus.async_fire("door_opened")
    await hass.async_block_till_done()
    async with asyncio.timeout(15):
        while not _sent_to(simulator, HANDSET):
            await asyncio.sleep(0.05)
    assert _sent_to(simulator, HANDSET) == ["The door opened"]

"""Logbook entries of texts received and delivery receipts, read as sentences."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.flowroute import logbook
from custom_components.flowroute.const import (
    CONF_RECORD_BODIES,
    DOMAIN,
    EVENT_ASSIST_EXCHANGE,
    EVENT_DELIVERY_RECEIPT,
    EVENT_MESSAGE_RECEIVED,
    EVENT_OPT_OUT_CHANGED,
)

from .conftest import DID_1

HANDSET = "12065550100"


def _message(entry_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "message_id": "mdr2-in-1",
        "from": HANDSET,
        "to": DID_1,
        "body": "Door code?",
        "is_mms": False,
        "media": [],
        "timestamp": "2026-11-02T18:25:03+00:00",
        "keyword": None,
        "config_entry_id": entry_id,
    } | overrides


def _receipt(entry_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "message_id": "mdr2-out-1",
        "to": HANDSET,
        "from": DID_1,
        "level": 2,
        "status": "delivery success",
        "status_code": 1004,
        "status_description": "Message delivered to handset",
        "state": "delivered",
        "timestamp": "2026-11-02T18:25:03+00:00",
        "config_entry_id": entry_id,
    } | overrides


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Let a test ask for the recorder (it must be prepared before hass)."""


class _Event:
    """What the logbook hands to describe callbacks: the event's data, read lazily."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data


def _describers(hass: HomeAssistant) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def describe(domain: str, event_type: str, describe_callback: Any) -> None:
        assert domain == DOMAIN
        found[event_type] = describe_callback

    logbook.async_describe_events(hass, describe)
    assert set(found) == {
        EVENT_MESSAGE_RECEIVED,
        EVENT_ASSIST_EXCHANGE,
        EVENT_DELIVERY_RECEIPT,
        EVENT_OPT_OUT_CHANGED,
    }
    return found


@pytest.fixture
def bodies_entry(hass: HomeAssistant) -> MockConfigEntry:
    """An entry whose user allowed keeping message bodies (not loaded: only looked up)."""
    entry = MockConfigEntry(domain=DOMAIN, options={CONF_RECORD_BODIES: True})
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def private_entry(hass: HomeAssistant) -> MockConfigEntry:
    """An entry left at the default: bodies are not kept."""
    entry = MockConfigEntry(domain=DOMAIN, options={})
    entry.add_to_hass(hass)
    return entry


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "Text from +1 206 555 0100: Door code?"),
        ({"body": ""}, "Text from +1 206 555 0100"),
        ({"body": "  two\n lines  "}, "Text from +1 206 555 0100: two lines"),
        (
            {"body": "x" * 200},
            "Text from +1 206 555 0100: " + "x" * 79 + "…",
        ),
        (
            {"is_mms": True, "body": "", "media": [{"mime_type": "image/jpeg"}]},
            "Picture from +1 206 555 0100",
        ),
        (
            {
                "is_mms": True,
                "body": "Look",
                "media": [{"mime_type": "application/smil"}, {"mime_type": "video/mp4"}],
            },
            "Video from +1 206 555 0100: Look",
        ),
        (
            {"is_mms": True, "body": "", "media": [{"mime_type": "audio/amr"}]},
            "Voice message from +1 206 555 0100",
        ),
        ({"is_mms": True, "body": "", "media": []}, "Multimedia message from +1 206 555 0100"),
        ({"from": "442071838750"}, "Text from +442071838750: Door code?"),
    ],
)
def test_message_received(
    hass: HomeAssistant, bodies_entry: MockConfigEntry, overrides: dict[str, Any], expected: str
) -> None:
    describe = _describers(hass)[EVENT_MESSAGE_RECEIVED]
    entry = describe(_Event(_message(bodies_entry.entry_id, **overrides)))
    assert entry == {LOGBOOK_ENTRY_NAME: "Flowroute", LOGBOOK_ENTRY_MESSAGE: expected}


def test_message_body_hidden_unless_allowed(
    hass: HomeAssistant, private_entry: MockConfigEntry
) -> None:
    describe = _describers(hass)[EVENT_MESSAGE_RECEIVED]
    assert (
        describe(_Event(_message(private_entry.entry_id)))[LOGBOOK_ENTRY_MESSAGE]
        == "Text from +1 206 555 0100"
    )
    # An entry that no longer exists shows no body either.
    assert describe(_Event(_message("gone")))[LOGBOOK_ENTRY_MESSAGE] == "Text from +1 206 555 0100"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "Text to +1 206 555 0100 delivered"),
        (
            {"state": "failed", "status": "delivery failed", "status_code": 1116},
            "Text to +1 206 555 0100 failed (code 1116)",
        ),
        (
            {"state": "failed", "status_code": None, "status_description": "Rejected"},
            "Text to +1 206 555 0100 failed (Rejected)",
        ),
        (
            {"state": "failed", "status_code": None, "status_description": None},
            "Text to +1 206 555 0100 failed",
        ),
        (
            {"state": "opted_out", "status_code": 1110},
            "Text to +1 206 555 0100 blocked: recipient opted out",
        ),
        (
            {"state": "sent", "level": 1, "status": "smsc submit", "status_code": None},
            "Text to +1 206 555 0100 sent (smsc submit)",
        ),
        ({"state": "sent", "status": ""}, "Text to +1 206 555 0100 sent"),
        ({"to": None}, "Text to an unknown number delivered"),
    ],
)
def test_delivery_receipt(
    hass: HomeAssistant, private_entry: MockConfigEntry, overrides: dict[str, Any], expected: str
) -> None:
    describe = _describers(hass)[EVENT_DELIVERY_RECEIPT]
    entry = describe(_Event(_receipt(private_entry.entry_id, **overrides)))
    assert entry == {LOGBOOK_ENTRY_NAME: "Flowroute", LOGBOOK_ENTRY_MESSAGE: expected}


@pytest.mark.parametrize(
    ("opted_out", "reason", "expected"),
    [
        (True, "keyword", "+1 206 555 0100 opted out of texts from +1 206 555 0199 (by text)"),
        (
            True,
            "delivery_receipt",
            "+1 206 555 0100 opted out of texts from +1 206 555 0199 (the carrier reported it)",
        ),
        (
            False,
            "action",
            "+1 206 555 0100 opted back in to texts from +1 206 555 0199 (changed by hand)",
        ),
        (True, "new", "+1 206 555 0100 opted out of texts from +1 206 555 0199"),
    ],
)
def test_opt_out_changed(hass: HomeAssistant, opted_out: bool, reason: str, expected: str) -> None:
    describe = _describers(hass)[EVENT_OPT_OUT_CHANGED]
    data = {"did": DID_1, "number": "12065550100", "opted_out": opted_out, "reason": reason}
    entry = describe(_Event(data))
    assert entry == {LOGBOOK_ENTRY_NAME: "Flowroute", LOGBOOK_ENTRY_MESSAGE: expected}


async def test_through_the_logbook(
    hass: HomeAssistant,
    recorder_mock: Any,
    config_entry: MockConfigEntry,
    hass_ws_client: Any,
) -> None:
    """The logbook finds the integration's platform and describes recorded events."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, CONF_RECORD_BODIES: True}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.LOADED
    # The logbook's frontend panel needs the frontend package, which tests do not have.
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {})
    await hass.async_block_till_done()
    start = dt_util.utcnow()

    hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, _message(config_entry.entry_id))
    hass.bus.async_fire(
        EVENT_DELIVERY_RECEIPT,
        _receipt(config_entry.entry_id, state="failed", status_code=1116),
    )
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    client = await hass_ws_client(hass)
    await client.send_json({"id": 1, "type": "logbook/get_events", "start_time": start.isoformat()})
    response = await client.receive_json()
    assert response["success"], response
    ours = [
        (item["name"], item["message"], item.get("domain"))
        for item in response["result"]
        if item.get("domain") == DOMAIN
    ]
    assert ours == [
        ("Flowroute", "Text from +1 206 555 0100: Door code?", DOMAIN),
        ("Flowroute", "Text to +1 206 555 0100 failed (code 1116)", DOMAIN),
    ]

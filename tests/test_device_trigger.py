"""Device triggers of a number, run by automations on the integration's bus events."""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
    async_mock_service,
)

from custom_components.flowroute import device_trigger
from custom_components.flowroute.const import (
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_OPT_OUT_CHANGED,
)

from .conftest import DID_1, DID_2, contact

HANDSET = "12065550100"


@pytest.fixture
def subentries_data() -> list[ConfigSubentryData]:
    """One contact: a device that is not a number."""
    return [contact("Alice", HANDSET)]


@pytest.fixture
def calls(hass: HomeAssistant) -> list[ServiceCall]:
    """What the automations under test ran."""
    return async_mock_service(hass, "test", "automation")


def _devices(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, dr.DeviceEntry]:
    """The entry's devices by their identifier (a number, or a contact's id)."""
    return {
        ident: device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        for domain, ident in device.identifiers
        if domain == DOMAIN
    }


def _message(to: str = DID_1, body: str = "Door code?") -> dict[str, Any]:
    return {"message_id": "mdr2-in-1", "from": HANDSET, "to": to, "body": body, "is_mms": False}


async def _automate(hass: HomeAssistant, device_id: str, trigger_type: str, **extra: Any) -> None:
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "trigger": {
                        "platform": "device",
                        "domain": DOMAIN,
                        "device_id": device_id,
                        "type": trigger_type,
                        **extra,
                    },
                    "action": {
                        "service": "test.automation",
                        "data_template": {
                            "platform": "{{ trigger.platform }}",
                            # Text, not numbers: templates render numbers as ints.
                            "message_id": "{{ trigger.event.data.message_id }}",
                            "reason": "{{ trigger.event.data.reason }}",
                        },
                    },
                }
            ]
        },
    )
    await hass.async_block_till_done()


async def test_triggers_of_numbers_only(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    devices = _devices(hass, loaded)
    device = devices[DID_1]
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device.id)
    ours = [
        {key: trigger[key] for key in ("platform", "domain", "device_id", "type")}
        for trigger in triggers
        if trigger["domain"] == DOMAIN
    ]
    assert ours == [
        {"platform": "device", "domain": DOMAIN, "device_id": device.id, "type": kind}
        for kind in ("message_received", "message_contains", "recipient_opted_out")
    ]

    # Neither the contact's device nor the account's is a number: no triggers of ours.
    others = [device for ident, device in devices.items() if not ident.isdigit()]
    assert len(others) == 2
    for other in others:
        triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, other.id)
        assert [trigger for trigger in triggers if trigger["domain"] == DOMAIN] == []


async def test_contains_asks_for_a_phrase(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_ws_client: Any
) -> None:
    assert await async_setup_component(hass, "device_automation", {})
    device = _devices(hass, loaded)[DID_1]
    client = await hass_ws_client(hass)
    for request_id, kind, expected in (
        (1, "message_contains", [{"name": "phrase", "required": True, "type": "string"}]),
        (2, "message_received", []),
    ):
        await client.send_json(
            {
                "id": request_id,
                "type": "device_automation/trigger/capabilities",
                "trigger": {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": device.id,
                    "type": kind,
                },
            }
        )
        response = await client.receive_json()
        assert response["success"], response
        assert response["result"].get("extra_fields", []) == expected


async def test_message_received(
    hass: HomeAssistant, loaded: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    await _automate(hass, _devices(hass, loaded)[DID_1].id, "message_received")
    hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, _message(to=DID_2))
    await hass.async_block_till_done()
    assert calls == []

    hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, _message())
    await hass.async_block_till_done()
    assert [call.data for call in calls] == [
        {"platform": "device", "message_id": "mdr2-in-1", "reason": ""}
    ]


@pytest.mark.parametrize(
    ("body", "fires"),
    [
        ("Door code?", True),
        ("what is the DOOR CODE", True),
        ("door", False),
        ("Door\ncode", False),
        ("", False),
    ],
)
async def test_message_contains(
    hass: HomeAssistant, loaded: MockConfigEntry, calls: list[ServiceCall], body: str, fires: bool
) -> None:
    await _automate(hass, _devices(hass, loaded)[DID_1].id, "message_contains", phrase="door code")
    hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, _message(to=DID_2, body="door code"))
    hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, _message(body=body))
    await hass.async_block_till_done()
    assert [call.data["message_id"] for call in calls] == (["mdr2-in-1"] if fires else [])


async def test_config_validation(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    devices = _devices(hass, loaded)
    base = {"platform": "device", "domain": DOMAIN, "device_id": devices[DID_1].id}
    config = await device_trigger.async_validate_trigger_config(
        hass, {**base, "type": "message_contains", "phrase": "door"}
    )
    assert config["phrase"] == "door"
    with pytest.raises(InvalidDeviceAutomationConfig):
        await device_trigger.async_validate_trigger_config(
            hass, {**base, "type": "message_contains"}
        )
    with pytest.raises(vol.Invalid):
        await device_trigger.async_validate_trigger_config(hass, {**base, "type": "nope"})

    # A device that is no number (a contact, the account, one that is gone) cannot carry it.
    others = [device.id for ident, device in devices.items() if not ident.isdigit()]
    assert len(others) == 2
    for device_id in (*others, "gone"):
        with pytest.raises(InvalidDeviceAutomationConfig):
            await device_trigger.async_attach_trigger(
                hass,
                {**base, "device_id": device_id, "type": "message_received"},
                lambda *_: None,
                {"trigger_data": {}},  # type: ignore[typeddict-item]
            )


async def test_recipient_opted_out(
    hass: HomeAssistant, loaded: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    await _automate(hass, _devices(hass, loaded)[DID_1].id, "recipient_opted_out")
    for did, opted_out, reason in (
        (DID_2, True, "keyword"),
        (DID_1, False, "action"),
        (DID_1, True, "delivery_receipt"),
    ):
        hass.bus.async_fire(
            EVENT_OPT_OUT_CHANGED,
            {"did": did, "number": HANDSET, "opted_out": opted_out, "reason": reason},
        )
    await hass.async_block_till_done()
    assert [call.data["reason"] for call in calls] == ["delivery_receipt"]

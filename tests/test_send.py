"""Sending end to end: the action, notify entities and legacy notify, to the simulator."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.components.camera import Camera
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
from PIL import Image
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    setup_test_component_platform,
)

from custom_components.flowroute.const import (
    CONF_PREFERRED_DID,
    DOMAIN,
    EVENT_OPT_OUT_CHANGED,
)
from simulator.faults import Fault, FaultKind, FaultTarget

from .conftest import DID_1, DID_2, WEBHOOK_ID, contact

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

    from simulator.testing import RunningSimulator

HANDSET = "12065550100"
HANDSET_2 = "12065550101"
NOT_MESSAGING = "12065550177"


def _jpeg(color: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="JPEG")
    return out.getvalue()


async def _send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )
    assert response is not None
    return response


@pytest.fixture
def subentries_data() -> list[ConfigSubentryData]:
    """One contact, Alice, who prefers to be texted from the second number."""
    return [contact("Alice", HANDSET, **{CONF_PREFERRED_DID: DID_2})]


@pytest.fixture
async def picture_server(socket_enabled: None) -> AsyncIterator[str]:
    """A public web server with one picture, for media_urls."""
    app = web.Application()

    async def picture(request: web.Request) -> web.Response:
        return web.Response(body=_jpeg(), content_type="image/jpeg")

    app.router.add_get("/snap.jpg", picture)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/snap.jpg"))
    await server.close()


async def test_send_sms_with_response_data(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator, public_url: str
) -> None:
    response = await _send(
        hass, to=["+1 (206) 555-0100", "206.555.0101"], message="Garage door is open"
    )
    items = response["messages"]
    assert [item["to"] for item in items] == [HANDSET, HANDSET_2]
    for item in items:
        assert item["status"] == "accepted"
        assert item["message_id"].startswith("mdr2-")
        assert (item["segments"], item["encoding"]) == (1, "GSM-7")

    sent = {record.message_id: record for record in simulator.state.sent_messages()}
    assert set(sent) == {item["message_id"] for item in items}
    for record in sent.values():
        assert record.from_number == DID_1  # the default sender
        assert record.body == "Garage door is open"
        assert not record.is_mms
        assert record.dlr_callback == f"{public_url}/api/webhook/{WEBHOOK_ID}"


async def test_unicode_and_long_texts_are_counted(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    [item] = (await _send(hass, to=HANDSET, message="Door open 🚪"))["messages"]
    assert (item["segments"], item["encoding"]) == (1, "UCS-2")
    [item] = (await _send(hass, to=HANDSET, message="x" * 300))["messages"]
    assert (item["segments"], item["encoding"]) == (3, "GSM-7")


async def test_mms_by_url(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator, picture_server: str
) -> None:
    [item] = (
        await _send(
            hass, to=HANDSET, message="Look", media_urls=[picture_server], **{"from": DID_2}
        )
    )["messages"]
    assert item["status"] == "accepted"
    [record] = simulator.state.sent_messages()
    assert record.is_mms
    assert record.from_number == DID_2
    assert [(m.url, m.mime_type, m.size) for m in record.media] == [
        (picture_server, "image/jpeg", len(_jpeg()))
    ]


class _PorchCamera(Camera):
    _attr_name = "Porch"
    _attr_unique_id = "porch"

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        return _jpeg((200, 30, 30))


@pytest.fixture
async def porch_camera(hass: HomeAssistant) -> None:
    setup_test_component_platform(hass, "camera", [_PorchCamera()])
    assert await async_setup_component(hass, "camera", {"camera": {"platform": "test"}})
    await hass.async_block_till_done()


async def test_mms_from_camera_snapshot(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    porch_camera: None,
    simulator: RunningSimulator,
    public_url: str,
) -> None:
    [item] = (await _send(hass, to=HANDSET, media="camera.porch"))["messages"]
    assert item["status"] == "accepted"
    [record] = simulator.state.sent_messages()
    [media] = record.media
    # The simulator fetched the snapshot from Home Assistant's short-lived URL.
    assert media.url.startswith(f"{public_url}/api/flowroute/media/")
    assert (media.mime_type, media.size) == ("image/jpeg", len(_jpeg((200, 30, 30))))


async def test_media_need_an_external_url(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: RunningSimulator, tmp_path
) -> None:
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    picture = tmp_path / "snap.jpg"
    picture.write_bytes(_jpeg())
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    with pytest.raises(ServiceValidationError) as err:
        await _send(hass, to=HANDSET, media=str(picture))
    assert err.value.translation_key == "no_external_url"
    assert simulator.state.send_attempts == []


async def test_legacy_notify_service(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator, picture_server: str
) -> None:
    await hass.services.async_call(
        "notify",
        DOMAIN,
        {
            "message": "Alarm",
            "title": "House",
            "target": [HANDSET, "+1 206 555 0101"],
            "data": {"from": DID_2, "media_urls": picture_server},
        },
        blocking=True,
    )
    records = simulator.state.sent_messages()
    assert sorted(r.to_number for r in records) == [HANDSET, HANDSET_2]
    assert {(r.from_number, r.body, r.is_mms) for r in records} == {(DID_2, "House\nAlarm", True)}


async def test_contact_notify_entity(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.alice", "message": "Dinner is ready"},
        blocking=True,
    )
    [record] = simulator.state.sent_messages()
    assert (record.to_number, record.from_number, record.body) == (
        HANDSET,
        DID_2,  # the contact's preferred number
        "Dinner is ready",
    )
    assert hass.states.get("notify.alice") is not None


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"to": "not a number", "message": "x"}, "invalid_number"),
        ({"to": "555-0100", "message": "x"}, "invalid_number"),
        ({"to": HANDSET, "message": "x", "from": "+1 206 555 0111"}, "unknown_did"),
        ({"to": HANDSET, "message": "   "}, "empty_message"),
        ({"to": [], "message": "x"}, "no_recipients"),
        ({"to": HANDSET, "message": "x", "media": "sensor.nope"}, "unsupported_media"),
    ],
)
async def test_refused_before_sending(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    data: dict[str, Any],
    key: str,
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _send(hass, **data)
    assert err.value.translation_key == key
    assert simulator.state.send_attempts == []


async def test_nothing_is_sent_while_the_opt_out_list_cannot_be_read(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    hass_storage: dict[str, Any],
) -> None:
    """Fail closed: every send path is refused, before any request reaches Flowroute."""
    key = f"{DOMAIN}.{config_entry.entry_id}.opt_outs"
    # Written by a newer version of the integration: its rows cannot be trusted here.
    hass_storage[key] = {"version": 2, "minor_version": 1, "key": key, "data": {"dids": {}}}
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert await async_setup_component(hass, "notify", {})
    calls: list[tuple[str, str, dict[str, Any]]] = [
        (DOMAIN, "send_message", {"to": HANDSET_2, "message": "a"}),
        ("notify", "send_message", {"entity_id": "notify.alice", "message": "b"}),
        ("notify", DOMAIN, {"target": [HANDSET_2], "message": "c"}),
    ]
    for domain, service, data in calls:
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(domain, service, data, blocking=True)
        assert err.value.translation_key == "opt_out_list_unavailable"
    assert simulator.state.send_attempts == []
    assert config_entry.runtime_data.outbox.pending == 0
    # Nothing was written over the file that could not be read.
    assert hass_storage[key]["version"] == 2


async def test_flowroute_1110_marks_the_recipient_opted_out(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    # The handset texted STOP while Home Assistant was not listening: only Flowroute knows.
    simulator.inject_inbound(from_=HANDSET, to=DID_1, body="STOP")
    await simulator.idle()
    changes = async_capture_events(hass, EVENT_OPT_OUT_CHANGED)
    with pytest.raises(ServiceValidationError) as err:
        await _send(hass, to=HANDSET, message="hello")
    assert err.value.translation_key == "opted_out"
    # Refused at once, never retried, and remembered: the next send never leaves.
    assert len(simulator.state.send_attempts) == 1
    assert [(c.data["did"], c.data["number"], c.data["reason"]) for c in changes] == [
        (DID_1, HANDSET, "send_error")
    ]
    with pytest.raises(ServiceValidationError):
        await _send(hass, to=HANDSET, message="hello again")
    assert len(simulator.state.send_attempts) == 1


async def test_number_not_enabled_for_messaging(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: RunningSimulator
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, "numbers": [DID_1, NOT_MESSAGING]}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    with pytest.raises(HomeAssistantError) as err:
        await _send(hass, to=HANDSET, message="hi", **{"from": NOT_MESSAGING})
    assert err.value.translation_key == "sender_not_allowed"


async def test_401_on_send_starts_reauth(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    simulator.add_fault(Fault(kind=FaultKind.STATUS, status=401, target=FaultTarget.SEND_SMS))
    with pytest.raises(HomeAssistantError) as err:
        await _send(hass, to=HANDSET, message="hi")
    assert err.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_unavailable_flowroute_answers_queued_then_delivers(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    fault = simulator.add_fault(
        Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.SENDS, duration=60)
    )
    with patch("custom_components.flowroute.sending.ACCEPT_WAIT", 0.3):
        [item] = (await _send(hass, to=HANDSET, message="queued one"))["messages"]
    assert (item["status"], item["message_id"]) == ("queued", None)
    assert simulator.state.sent_messages() == []

    simulator.remove_fault(fault)
    async with asyncio.timeout(30):
        while not simulator.state.sent_messages():
            await asyncio.sleep(0.05)
    [record] = simulator.state.sent_messages()
    assert record.body == "queued one"


async def test_several_accounts_need_a_choice(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    other = MockConfigEntry(
        domain=DOMAIN,
        unique_id="87654321",
        data={**loaded.data, "access_key": "87654321", "numbers": ["13125550199"]},
        options=loaded.options,
    )
    other.add_to_hass(hass)
    # The second account's keys are unknown to the simulator: it stays in reauth.
    await hass.config_entries.async_setup(other.entry_id)
    assert other.state is ConfigEntryState.SETUP_ERROR
    # Only one account is loaded, so it is chosen; by DID, the owner is chosen.
    [item] = (await _send(hass, to=HANDSET, message="a", **{"from": DID_1}))["messages"]
    assert item["status"] == "accepted"
    with pytest.raises(ServiceValidationError) as err:
        await _send(hass, to=HANDSET, message="a", config_entry_id=other.entry_id)
    assert err.value.translation_key == "entry_not_loaded"


async def test_legacy_notify_needs_targets(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call("notify", DOMAIN, {"message": "x"}, blocking=True)
    assert err.value.translation_key == "no_recipients"


async def test_no_loaded_account(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    await hass.config_entries.async_unload(loaded.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await _send(hass, to=HANDSET, message="x")
    assert err.value.translation_key == "not_loaded"

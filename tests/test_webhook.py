"""The webhook over real HTTP: parse, refuse, cap, deduplicate, route receipts, cloudhook."""

from __future__ import annotations

import asyncio
import json
import sys
import types
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, Mock

import homeassistant.components
import pytest
from homeassistant.components import webhook
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.setup import async_setup_component
from homeassistant.util.aiohttp import MockRequest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.flowroute.api import PayloadError, parse_callback, parse_json
from custom_components.flowroute.const import CONF_CLOUDHOOK_URL, EVENT_MESSAGE_RECEIVED
from custom_components.flowroute.dedup import RecentIds
from custom_components.flowroute.storage import async_remove_entry_stores
from custom_components.flowroute.webhook import (
    MAX_BODY_BYTES,
    async_callback_url,
    async_remove_cloudhook,
)
from simulator.core import SendRequest
from simulator.state import CallbackKind

from .api.payloads import (
    INBOUND_SMS,
    LEGACY_INBOUND,
    LEGACY_RECEIPT,
    RECEIPT_LEVEL_1,
    RECEIPT_LEVEL_2,
)
from .api.test_parsers import json_values, mutated_payload
from .conftest import DID_1
from .webhook_helpers import HOOK_ID, HOOK_PATH, Wired, make_entry, unload, wire

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient
    from homeassistant.core import Event, HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import RunningSimulator

HANDSET = "12065550100"


@pytest.fixture
async def entry(hass: HomeAssistant) -> MockConfigEntry:
    assert await async_setup_component(hass, "webhook", {})
    return make_entry(hass)


@pytest.fixture
async def wired(hass: HomeAssistant, entry: MockConfigEntry) -> Wired:
    return await wire(hass, entry)


@pytest.fixture
async def client(hass: HomeAssistant, wired: Wired, hass_client_no_auth: Any) -> TestClient:
    return await hass_client_no_auth()


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    return async_capture_events(hass, EVENT_MESSAGE_RECEIVED)


async def _post(client: TestClient, body: Any, **kwargs: Any) -> int:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await client.post(HOOK_PATH, data=data, **kwargs)
    return response.status


async def test_sms_fires_the_event_and_the_signal(
    hass: HomeAssistant, wired: Wired, client: TestClient, events: list[Event]
) -> None:
    assert await _post(client, INBOUND_SMS, headers={"Content-Type": "application/json"}) == 200
    [event] = events
    assert event.data == {
        "message_id": "mdr2-0c3f...",
        "from": HANDSET,
        "to": DID_1,
        "body": "Hello",
        "is_mms": False,
        "media": [],
        "timestamp": "2026-11-02T18:22:41.520000+00:00",
        "keyword": None,
        "config_entry_id": wired.entry.entry_id,
    }
    [signal] = wired.signals
    assert signal.as_event_data() == event.data


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_body_is_json_whatever_the_content_type(
    client: TestClient, events: list[Event], content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    assert await _post(client, LEGACY_INBOUND, headers=headers) == 200
    assert [event.data["body"] for event in events] == ["Hello"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe\xfa",
        b"[1, 2]",
        b"null",
        json.dumps({"data": {"id": "mdr2-1", "type": "account", "attributes": {}}}).encode(),
        json.dumps({"data": {"id": "mdr2-1", "type": "message", "attributes": {}}}).encode(),
        json.dumps({"to": DID_1, "body": "no sender", "id": "mdr2-2"}).encode(),
        json.dumps({"type": "delivery_receipt", "attributes": {}}).encode(),
    ],
)
async def test_malformed_bodies_get_400_and_fire_nothing(
    wired: Wired, client: TestClient, events: list[Event], body: bytes
) -> None:
    assert await _post(client, body) == 400
    assert events == []
    assert wired.signals == []
    assert wired.receipts.received == []
    assert len(wired.recent) == 0


async def test_duplicates_fire_once_and_still_get_200(
    client: TestClient, events: list[Event]
) -> None:
    assert [await _post(client, INBOUND_SMS) for _ in range(3)] == [200, 200, 200]
    assert len(events) == 1


async def test_duplicates_are_recognised_after_a_reload(
    hass: HomeAssistant, wired: Wired, hass_client_no_auth: Any, events: list[Event]
) -> None:
    client = await hass_client_no_auth()
    assert await _post(client, INBOUND_SMS) == 200
    await unload(hass, wired.entry)
    # After the unload the hook is gone: Home Assistant answers 200 and nothing runs.
    assert await _post(client, {**LEGACY_INBOUND, "id": "mdr2-while-down"}) == 200
    assert len(events) == 1

    rewired = await wire(hass, wired.entry)
    assert await _post(client, INBOUND_SMS) == 200
    assert len(events) == 1
    assert await _post(client, {**LEGACY_INBOUND, "id": "mdr2-new"}) == 200
    assert [event.data["message_id"] for event in events] == ["mdr2-0c3f...", "mdr2-new"]
    assert "mdr2-0c3f..." in rewired.recent


async def test_get_is_refused(client: TestClient, events: list[Event]) -> None:
    response = await client.get(HOOK_PATH)
    assert response.status == HTTPStatus.METHOD_NOT_ALLOWED
    assert events == []


async def test_body_cap(wired: Wired, client: TestClient, events: list[Event]) -> None:
    padded = {**INBOUND_SMS, "padding": "x" * MAX_BODY_BYTES}
    assert await _post(client, padded) == HTTPStatus.REQUEST_ENTITY_TOO_LARGE

    async def chunked() -> Any:
        # No Content-Length: the cap holds while reading.
        yield json.dumps(INBOUND_SMS)[:-1].encode()
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536
        yield b"}"

    response = await client.post(HOOK_PATH, data=chunked())
    assert response.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert events == []
    assert len(wired.recent) == 0
    # Just under the cap is fine.
    spaced = json.dumps(INBOUND_SMS).encode().ljust(MAX_BODY_BYTES, b" ")
    assert await _post(client, spaced) == 200
    assert len(events) == 1


async def test_message_to_another_number_is_ignored(
    client: TestClient, events: list[Event], wired: Wired
) -> None:
    assert await _post(client, {**LEGACY_INBOUND, "to": "12065550123"}) == 200
    assert events == []
    assert wired.downloader.calls == []


async def test_receipts_go_to_the_tracker_once_each(
    wired: Wired, client: TestClient, events: list[Event]
) -> None:
    for body in (
        RECEIPT_LEVEL_1,
        RECEIPT_LEVEL_2,
        RECEIPT_LEVEL_1,
        RECEIPT_LEVEL_2,
        LEGACY_RECEIPT,
    ):
        assert await _post(client, body) == 200
    assert [(r.level, r.status) for r in wired.receipts.received] == [
        (1, "smsc submit"),
        (2, "delivery success"),
        (None, "delivered"),
    ]
    assert events == []


async def test_simulator_callbacks_reach_the_webhook(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    wired: Wired,
    client: TestClient,
    events: list[Event],
) -> None:
    url = str(client.make_url(HOOK_PATH))
    for kind in CallbackKind:
        simulator.state.set_number_callback(DID_1, kind, url)
    simulator.inject_inbound(from_=HANDSET, to=DID_1, body="Help?")
    simulator.inject_inbound(from_=HANDSET, to=DID_1, body="Hi", legacy=True)
    await simulator.send(
        simulator.account,
        SendRequest(
            to=HANDSET, from_=DID_1, body="Door", media_urls=(), is_mms=False, dlr_callback=url
        ),
    )
    await simulator.idle()
    await hass.async_block_till_done()
    assert [(e.data["body"], e.data["keyword"]) for e in events] == [
        ("Help?", "help"),
        ("Hi", None),
    ]
    assert {r.level for r in wired.receipts.received} == {1, 2}
    assert {attempt.status for attempt in simulator.state.callback_log} == {200}


# Dedup store


async def test_recent_ids_are_bounded_and_saved(hass: HomeAssistant, hass_storage: Any) -> None:
    recent = RecentIds(hass, "e1", size=3, save_delay=0.01)
    await recent.async_load()
    assert [recent.add(key) for key in ("a", "b", "a", "c", "d")] == [True, True, False, True, True]
    assert "a" not in recent
    assert len(recent) == 3
    await asyncio.sleep(0.05)
    await hass.async_block_till_done()
    assert hass_storage["flowroute.e1.recent_ids"]["data"] == {"ids": ["b", "c", "d"]}

    recent.add("e")
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert hass_storage["flowroute.e1.recent_ids"]["data"] == {"ids": ["c", "d", "e"]}

    again = RecentIds(hass, "e1", size=2)
    await again.async_load()
    assert "c" not in again
    assert "e" in again
    await again.async_close()
    await async_remove_entry_stores(hass, "e1")
    assert "flowroute.e1.recent_ids" not in hass_storage


# Cloudhook


@pytest.fixture
def cloud(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """A stand-in for homeassistant.components.cloud (it cannot load in every test venv)."""

    class CloudNotAvailable(Exception):  # noqa: N818 - the cloud component's name
        pass

    fake = types.SimpleNamespace(
        CloudNotAvailable=CloudNotAvailable,
        async_active_subscription=Mock(return_value=True),
        async_is_connected=Mock(return_value=True),
        async_create_cloudhook=AsyncMock(return_value="https://hooks.nabu.casa/abc"),
        async_delete_cloudhook=AsyncMock(),
    )
    monkeypatch.setitem(sys.modules, "homeassistant.components.cloud", fake)
    monkeypatch.setattr(homeassistant.components, "cloud", fake, raising=False)
    hass.config.components.add("cloud")
    return fake


async def test_cloudhook_created_once_and_removed_with_the_entry(
    hass: HomeAssistant, entry: MockConfigEntry, cloud: types.SimpleNamespace
) -> None:
    await wire(hass, entry)
    cloud.async_create_cloudhook.assert_awaited_once_with(hass, HOOK_ID)
    assert entry.data[CONF_CLOUDHOOK_URL] == "https://hooks.nabu.casa/abc"
    assert async_callback_url(hass, entry) == "https://hooks.nabu.casa/abc"

    await unload(hass, entry)
    cloud.async_delete_cloudhook.assert_not_awaited()
    await wire(hass, entry)
    cloud.async_create_cloudhook.assert_awaited_once()

    await async_remove_cloudhook(hass, entry)
    cloud.async_delete_cloudhook.assert_awaited_once_with(hass, HOOK_ID)


async def test_no_cloudhook_without_a_connected_subscription(
    hass: HomeAssistant, entry: MockConfigEntry, cloud: types.SimpleNamespace
) -> None:
    cloud.async_is_connected.return_value = False
    await wire(hass, entry)
    cloud.async_create_cloudhook.assert_not_awaited()
    assert CONF_CLOUDHOOK_URL not in entry.data
    await async_remove_cloudhook(hass, entry)
    cloud.async_delete_cloudhook.assert_not_awaited()


async def test_cloudhook_failure_keeps_the_webhook(
    hass: HomeAssistant, entry: MockConfigEntry, cloud: types.SimpleNamespace, events: list[Event]
) -> None:
    cloud.async_create_cloudhook.side_effect = cloud.CloudNotAvailable
    await wire(hass, entry)
    assert CONF_CLOUDHOOK_URL not in entry.data


async def test_cloudhook_delivery(hass: HomeAssistant, wired: Wired, events: list[Event]) -> None:
    """The cloud hands the body over as a MockRequest, which has no content_length."""
    for body, status in ((INBOUND_SMS, 200), (INBOUND_SMS, 200), ({"to": DID_1}, 400)):
        request = MockRequest(content=json.dumps(body).encode(), mock_source="cloud", method="POST")
        response = await webhook.async_handle_webhook(hass, HOOK_ID, request)
        assert response.status == status
    big = MockRequest(content=b" " * (MAX_BODY_BYTES + 1), mock_source="cloud", method="POST")
    response = await webhook.async_handle_webhook(hass, HOOK_ID, big)
    assert response.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert len(events) == 1


async def test_callback_url_without_cloud(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert async_callback_url(hass, entry) is None
    hass.config.external_url = "https://ha.example.org"
    assert async_callback_url(hass, entry) == f"https://ha.example.org{HOOK_PATH}"


# Property: whatever arrives, the answer is 200 or 400, and a 400 fires nothing.


def _mutated(data: st.DataObject) -> object:
    return mutated_payload(data, 3)


async def test_any_payload_gets_200_or_400(
    hass: HomeAssistant, wired: Wired, client: TestClient, events: list[Event]
) -> None:
    loop = asyncio.get_running_loop()

    async def post(raw: bytes) -> tuple[int, int, int]:
        before = (len(events), len(wired.receipts.received))
        status = await _post(client, raw)
        await hass.async_block_till_done()
        return status, len(events) - before[0], len(wired.receipts.received) - before[1]

    @settings(
        max_examples=100,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        document = data.draw(st.one_of(json_values, st.builds(_mutated, st.data())))
        raw = json.dumps(document).encode()
        try:
            # Through parse_json too: json.dumps writes NaN/Infinity, which is not JSON.
            parse_callback(parse_json(raw))
        except PayloadError:
            valid = False
        else:
            valid = True
        status, fired, handed = asyncio.run_coroutine_threadsafe(post(raw), loop).result(10)
        assert status == (200 if valid else 400)
        assert fired + handed <= (1 if valid else 0)

    await hass.async_add_executor_job(check)

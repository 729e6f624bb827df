"""The webhook over real HTTP: parse, refuse, cap, deduplicate, route receipts, cloudhook."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import string
import sys
import types
from dataclasses import dataclass
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

from custom_components.flowroute.api import (
    MAX_MEDIA_ITEMS,
    InboundMessage,
    PayloadError,
    canonical_number,
    parse_callback,
    parse_json,
)
from custom_components.flowroute.const import (
    CONF_CLOUDHOOK_URL,
    CONF_FLOWROUTE_ADDRESSES_ONLY,
    EVENT_MESSAGE_RECEIVED,
)
from custom_components.flowroute.dedup import RecentIds
from custom_components.flowroute.storage import async_remove_entry_stores
from custom_components.flowroute.webhook import (
    MAX_BODY_BYTES,
    async_callback_url,
    async_remove_cloudhook,
)
from simulator.core import SendRequest
from simulator.state import CallbackKind

from .api import payloads
from .api.payloads import (
    INBOUND_SMS,
    LEGACY_INBOUND,
    LEGACY_RECEIPT,
    RECEIPT_LEVEL_1,
    RECEIPT_LEVEL_2,
)
from .api.test_parsers import json_values, mutated_payload
from .conftest import DID_1, DID_2
from .webhook_helpers import HOOK_ID, HOOK_PATH, Wired, make_entry, unload, wire

if TYPE_CHECKING:
    from uuid import UUID

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
        "handled_by": None,
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


async def test_receipts_go_to_the_tracker_which_drops_repeats(
    wired: Wired, client: TestClient, events: list[Event]
) -> None:
    # The receipt tracker remembers the receipts it applied (receipts.py tests it): the
    # webhook hands every one over, repeats included, and fires no message event.
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


# Untrusted callbacks: what breaks the parser's rules is refused before anything runs.


def _nothing_happened(wired: Wired, events: list[Event]) -> None:
    assert events == []
    assert wired.signals == []
    assert wired.receipts.received == []
    assert wired.downloader.calls == []
    assert len(wired.recent) == 0


async def test_a_forged_receipt_gets_400_and_reaches_nothing(
    wired: Wired, client: TestClient, events: list[Event]
) -> None:
    forged: dict[str, Any] = {
        "data": {"type": "delivery_receipt", "id": "mdr2-x", "attributes": {"level": "high"}}
    }
    assert await _post(client, forged) == 400
    forged["data"]["attributes"]["status"] = "delivered"
    assert await _post(client, forged) == 400
    for level in (0, 3, "2.5"):
        assert await _post(client, payloads.receipt(level=level)) == 400
    _nothing_happened(wired, events)

    forged["data"]["attributes"]["level"] = 2
    assert await _post(client, forged) == 200
    assert [(r.message_id, r.level) for r in wired.receipts.received] == [("mdr2-x", 2)]


@pytest.mark.parametrize("build", [payloads.sms, payloads.legacy_sms, payloads.receipt])
async def test_a_huge_id_gets_400_and_reaches_nothing(
    wired: Wired, client: TestClient, events: list[Event], build: Any
) -> None:
    raw = json.dumps(build("a" * 1_000_000)).encode()
    assert len(raw) <= MAX_BODY_BYTES  # refused by the parser, not by the body cap

    assert await _post(client, raw) == 400
    _nothing_happened(wired, events)
    assert await _post(client, build("a" * 128)) == 200


async def test_a_forged_sender_is_refused_and_never_logged(
    wired: Wired, client: TestClient, events: list[Event], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    evil = "evil\nINFO fake log line"
    for body in (
        payloads.sms(from_=evil),
        payloads.legacy_sms(from_=evil),
        payloads.sms(to=evil),
        payloads.mms(payloads.jpegs(1), from_=evil),
    ):
        assert await _post(client, body) == 400
    _nothing_happened(wired, events)
    # An optional number that breaks the rules counts as absent.
    assert await _post(client, payloads.legacy_receipt(**{"from": evil})) == 200
    assert [r.from_number for r in wired.receipts.received] == [None]

    assert "Ignoring a callback Flowroute should not have sent" in caplog.text  # logged...
    assert "fake log line" not in caplog.text  # ...without the forged text
    assert all("fake log line" not in record.getMessage() for record in caplog.records)


async def test_numbers_arrive_in_one_form(
    client: TestClient, events: list[Event], wired: Wired
) -> None:
    assert await _post(client, payloads.legacy_sms("mdr2-a", from_="+2065550100", to=DID_1[1:]))
    assert await _post(client, payloads.sms("mdr2-b", from_="2065550100", to=f"+{DID_2}"))
    assert [(e.data["from"], e.data["to"]) for e in events] == [(HANDSET, DID_1), (HANDSET, DID_2)]


async def test_thousands_of_media_items_publish_ten(
    hass: HomeAssistant, client: TestClient, events: list[Event], wired: Wired
) -> None:
    entries = [
        {"id": f"m-{n}", "type": "media", "attributes": {"url": f"https://s/{n}"}}
        for n in range(11_000)
    ]
    raw = json.dumps(payloads.mms(entries, related=False, to=DID_1)).encode()
    assert len(raw) <= MAX_BODY_BYTES

    assert await _post(client, raw) == 200
    await hass.async_block_till_done()
    [message] = wired.downloader.calls
    assert [item.url for item in message.media] == [f"https://s/{n}" for n in range(10)]
    [event] = events
    assert len(event.data["media"]) == MAX_MEDIA_ITEMS


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


# Property: whatever arrives, the answer is 200 or 400, a 400 fires nothing, and nothing
# is logged as an error. Besides any JSON and mutated payloads, messages are built from
# ids, numbers, bodies and media lists at and beyond the parser's bounds; whether each
# is valid is decided here, from the rules, not by asking the parser.

_ID_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_NUMBER_RULE = re.compile(r"\+?([0-9]{3,15})")
_DIGITS = "0123456789"

_ID_CHARS = string.ascii_letters + string.digits + "._:-"
_LETTERS_AND_DIGITS = string.ascii_letters + string.digits


def _long_id(uuid: UUID, length: int) -> str:
    return (f"mdr2-{uuid.hex}" * 4)[:length]


# Each field has values within its rule, and values at and beyond it.
valid_ids = st.one_of(
    st.uuids().map(lambda uuid: f"mdr2-{uuid.hex}"),
    st.builds(_long_id, st.uuids(), st.just(128)),
    st.builds(str.__add__, st.sampled_from(_LETTERS_AND_DIGITS), st.text(_ID_CHARS, max_size=127)),
)
any_ids = st.one_of(
    valid_ids,
    st.builds(_long_id, st.uuids(), st.integers(min_value=129, max_value=131)),
    st.text(_ID_CHARS, min_size=1, max_size=130),
    st.sampled_from(["mdr2-1\nINFO fake log line", " mdr2-pad ", "", " ", "mdr2-\u0661", "-x"]),
    st.text(max_size=12),
    st.integers(),
)
valid_numbers = st.one_of(
    st.sampled_from([HANDSET, HANDSET[1:], f"+{HANDSET}", "+447700900123", "555", "1" * 15]),
    st.integers(min_value=100, max_value=10**15 - 1),
)
any_numbers = st.one_of(
    valid_numbers,
    st.text(_DIGITS, min_size=1, max_size=17),
    st.text(_DIGITS, max_size=17).map(lambda digits: f"+{digits}"),
    st.integers(min_value=-1, max_value=10**16),
    st.sampled_from(["1" * 16, "\u0661\u0662\u0663", "evil\nINFO fake log line"]),
    st.text(max_size=8),
)
# The entry's numbers in each of the forms Flowroute might use.
our_numbers = st.sampled_from(
    [DID_1, DID_1[1:], f"+{DID_1}", f" {DID_2}\n", int(DID_2), int(DID_1[1:])]
)
valid_bodies = st.sampled_from(["Hi", "", None, "b" * 10_000])
any_bodies = st.sampled_from(["Hi", "b" * 10_001])
media_counts = st.one_of(st.sampled_from([0, 1, 9, 10, 11, 40]), st.integers(0, 12))
_FIELDS = ["id", "from", "to", "body"]


def _mutated(data: st.DataObject) -> object:
    return mutated_payload(data, 3)


def _spec_id(value: object) -> str | None:
    if isinstance(value, str) and _ID_RULE.fullmatch(value.strip()):
        return value.strip()
    return None


def _spec_number(value: object) -> str | None:
    if type(value) is int:
        value = str(value) if 0 < value < 10**15 else None
    if isinstance(value, str) and (match := _NUMBER_RULE.fullmatch(value.strip())):
        return canonical_number(match[1])
    return None


@dataclass(frozen=True, slots=True)
class Drawn:
    """A drawn message and what the rules make of it."""

    payload: object
    expected: tuple[str, str, str] | None  # (id, from, to) when the rules accept it
    media: int


def _bounded_message(data: st.DataObject) -> Drawn:
    """Draw a message whose fields are at and beyond the parser's bounds.

    Any one field may be drawn from all values, the others from valid ones; whether the
    message breaks a rule is for the rules (_spec_*) to say, not for the draw.
    """
    broken = data.draw(st.sampled_from([None, *_FIELDS]), label="broken")
    message_id = data.draw(any_ids if broken == "id" else valid_ids, label="id")
    sender = data.draw(any_numbers if broken == "from" else valid_numbers, label="from")
    if broken == "to":
        recipient = data.draw(any_numbers, label="to")
    else:  # mostly one of ours, so that valid messages fire
        ours = data.draw(st.sampled_from([True, True, False]), label="ours")
        recipient = data.draw(our_numbers if ours else valid_numbers, label="to")
    body = data.draw(any_bodies if broken == "body" else valid_bodies, label="body")
    shape = data.draw(st.sampled_from(["sms", "legacy", "mms", "legacy_mms"]), label="shape")
    count = data.draw(media_counts, label="media") if shape.endswith("mms") else 0
    if shape == "sms":
        payload = payloads.sms(message_id, sender, recipient, body)
    elif shape == "legacy":
        payload = payloads.legacy_sms(message_id, sender, recipient, body)
    elif shape == "mms":
        related = data.draw(st.booleans(), label="related")
        payload = payloads.mms(
            payloads.jpegs(count),
            message_id=message_id,
            related=related,
            from_=sender,
            to=recipient,
            body=body,
        )
    else:
        urls = [f"https://s/{n}.jpg" for n in range(count)]
        payload = payloads.legacy_mms(urls, message_id) | {
            "from": sender,
            "to": recipient,
            "body": body,
        }
    expected = None
    spec = (_spec_id(message_id), _spec_number(sender), _spec_number(recipient))
    match spec:
        case (str(), str(), str()) if body is None or len(body) <= 10_000:  # the body bound
            expected = spec
    return Drawn(payload, expected, count)


async def test_any_payload_gets_200_or_400(
    hass: HomeAssistant,
    wired: Wired,
    client: TestClient,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = asyncio.get_running_loop()
    seen: set[str] = set()

    async def post(raw: bytes) -> tuple[int, list[Event], int]:
        before = (len(events), len(wired.receipts.received))
        status = await _post(client, raw)
        await hass.async_block_till_done()
        return status, events[before[0] :], len(wired.receipts.received) - before[1]

    def send(document: object) -> tuple[int, list[Event], int]:
        raw = json.dumps(document).encode()
        return asyncio.run_coroutine_threadsafe(post(raw), loop).result(10)

    @settings(
        max_examples=100,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def check_any(data: st.DataObject) -> None:
        document = data.draw(st.one_of(json_values, st.builds(_mutated, st.data())))
        try:
            # Through parse_json too: json.dumps writes NaN/Infinity, which is not JSON.
            parsed = parse_callback(parse_json(json.dumps(document).encode()))
        except PayloadError:
            parsed = None
        status, fired, handed = send(document)
        assert status == (400 if parsed is None else 200)
        assert len(fired) + handed <= (0 if parsed is None else 1)
        if isinstance(parsed, InboundMessage):
            seen.add(parsed.message_id)

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def check_bounds(data: st.DataObject) -> None:
        drawn = _bounded_message(data)
        status, fired, handed = send(drawn.payload)
        assert handed == 0
        if drawn.expected is None:
            assert (status, fired) == (400, [])
            return
        assert status == 200
        message_id, _, recipient = drawn.expected
        fresh = message_id not in seen
        seen.add(message_id)
        if not (fresh and recipient in (DID_1, DID_2)):
            assert fired == []
            return
        [event] = fired
        assert (event.data["message_id"], event.data["from"], event.data["to"]) == drawn.expected
        assert len(event.data["media"]) == min(drawn.media, MAX_MEDIA_ITEMS)

    await hass.async_add_executor_job(check_any)
    await hass.async_add_executor_job(check_bounds)
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []


# The optional allowlist of Flowroute's published callback addresses


@pytest.fixture
async def behind_proxy(hass: HomeAssistant) -> None:
    """Home Assistant's http integration trusts a reverse proxy on loopback."""
    assert await async_setup_component(
        hass, "http", {"http": {"use_x_forwarded_for": True, "trusted_proxies": ["127.0.0.1"]}}
    )


@pytest.mark.parametrize(
    ("forwarded_for", "status"),
    [
        (None, HTTPStatus.FORBIDDEN),  # the test client itself: 127.0.0.1
        ("52.88.246.140", HTTPStatus.OK),
        ("52.10.220.50", HTTPStatus.OK),
        ("203.0.113.9", HTTPStatus.FORBIDDEN),
    ],
)
async def test_allowlist_refuses_other_addresses(
    hass: HomeAssistant,
    *,
    behind_proxy: None,
    hass_client_no_auth: Any,
    events: list[Event],
    forwarded_for: str | None,
    status: HTTPStatus,
) -> None:
    assert await async_setup_component(hass, "webhook", {})
    await wire(hass, make_entry(hass, **{CONF_FLOWROUTE_ADDRESSES_ONLY: True}))
    client = await hass_client_no_auth()
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    assert await _post(client, INBOUND_SMS, headers=headers) == status
    assert len(events) == (1 if status == HTTPStatus.OK else 0)


async def test_allowlist_off_accepts_any_address(
    hass: HomeAssistant,
    behind_proxy: None,
    hass_client_no_auth: Any,
    events: list[Event],
) -> None:
    assert await async_setup_component(hass, "webhook", {})
    await wire(hass, make_entry(hass))
    client = await hass_client_no_auth()
    assert await _post(client, INBOUND_SMS, headers={"X-Forwarded-For": "203.0.113.9"}) == 200
    assert len(events) == 1


async def test_allowlist_does_not_apply_to_a_cloudhook(
    hass: HomeAssistant, events: list[Event]
) -> None:
    assert await async_setup_component(hass, "webhook", {})
    await wire(hass, make_entry(hass, **{CONF_FLOWROUTE_ADDRESSES_ONLY: True}))
    relayed = MockRequest(
        content=json.dumps(INBOUND_SMS).encode(), mock_source="cloud", method="POST"
    )
    assert (await webhook.async_handle_webhook(hass, HOOK_ID, relayed)).status == 200
    assert len(events) == 1

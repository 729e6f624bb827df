"""Inbound messages: keywords, MMS media download after the reply, options, unload."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.flowroute.const import (
    CONF_DOWNLOAD_MEDIA,
    CONF_REPLY_COOLDOWN,
    CONF_REPLY_INTERNATIONAL,
    EVENT_MESSAGE_RECEIVED,
)
from custom_components.flowroute.keywords import classify_keyword, is_stop_all
from custom_components.flowroute.messages import Keyword
from simulator import InboundMedia
from simulator.state import CallbackKind

from .api.payloads import INBOUND_MMS, INBOUND_MMS_WITH_PARTS, LEGACY_INBOUND
from .conftest import DID_1, DID_2
from .webhook_helpers import HOOK_PATH, FakeDownloader, Wired, make_entry, unload, wire

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient
    from homeassistant.core import Event, HomeAssistant

    from simulator.testing import RunningSimulator

HANDSET = "12065550100"
OTHER = "12065550111"
ABROAD = "447700900123"
SPARE_DID = "12065550177"  # a number of the account that the entry does not use


@pytest.fixture
def downloader() -> FakeDownloader:
    return FakeDownloader()


@pytest.fixture
def options() -> dict[str, Any]:
    return {}


@pytest.fixture
def account_numbers() -> tuple[str, ...]:
    """The account's numbers as Flowroute listed them at setup (none known by default)."""
    return ()


@pytest.fixture
async def wired(
    hass: HomeAssistant,
    downloader: FakeDownloader,
    options: dict[str, Any],
    account_numbers: tuple[str, ...],
) -> Wired:
    assert await async_setup_component(hass, "webhook", {})
    return await wire(
        hass, make_entry(hass, **options), downloader, account_numbers=account_numbers
    )


@pytest.fixture
async def client(hass: HomeAssistant, wired: Wired, hass_client_no_auth: Any) -> TestClient:
    return await hass_client_no_auth()


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    return async_capture_events(hass, EVENT_MESSAGE_RECEIVED)


async def _post(client: TestClient, body: Any) -> int:
    response = await client.post(HOOK_PATH, data=json.dumps(body).encode())
    return response.status


# Keywords


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", Keyword.STOP),
        ("Stop!", Keyword.STOP),
        (" stop. ", Keyword.STOP),
        ("\u201cStop\u201d", Keyword.STOP),  # phones send smart quotes
        ("stopall", Keyword.STOP),
        ("Unsubscribe", Keyword.STOP),
        ("cancel", Keyword.STOP),
        ("END", Keyword.STOP),
        ("quit!!", Keyword.STOP),
        ("start", Keyword.START),
        ("Unstop", Keyword.START),
        ("yes.", Keyword.START),
        ("HELP?", Keyword.HELP),
        ("info", Keyword.HELP),
        ("stop all", None),
        ("please stop", None),
        ("stop stop", None),
        ("stopping", None),
        ("\u0421\u0422\u041e\u041f", None),  # Cyrillic STOP
        ("\u0421\u0422OP", None),  # Cyrillic S and T with Latin O and P
        ("st\u00f6p", None),
        ("\u017ftop", None),  # a long s upper-cases to S
        ("\uff33\uff34\uff2f\uff30", None),  # full-width STOP
        ("", None),
        ("   ", None),
        ("!", None),
        ("stop" + " " * 100, None),
    ],
)
def test_classify_keyword(body: str, keyword: Keyword | None) -> None:
    assert classify_keyword(body) is keyword


def test_is_stop_all() -> None:
    assert is_stop_all(" StopAll! ")
    assert not is_stop_all("stop")
    assert not is_stop_all("stop all")
    assert not is_stop_all(None)


@pytest.mark.parametrize(("body", "keyword"), [("Stop!", "stop"), ("Yes", "start"), ("hi", None)])
async def test_keyword_in_the_event(
    client: TestClient, events: list[Event], body: str, keyword: str | None
) -> None:
    assert await _post(client, {**LEGACY_INBOUND, "body": body}) == 200
    assert [event.data["keyword"] for event in events] == [keyword]


async def test_timestamp_defaults_to_now(client: TestClient, events: list[Event]) -> None:
    before = dt_util.utcnow()
    assert await _post(client, LEGACY_INBOUND) == 200
    assert dt_util.parse_datetime(events[0].data["timestamp"]) >= before


async def test_to_with_a_plus_is_ours(client: TestClient, events: list[Event]) -> None:
    assert await _post(client, {**LEGACY_INBOUND, "to": f"+{DID_2}"}) == 200
    assert [event.data["to"] for event in events] == [DID_2]


# MMS media


async def test_mms_is_published_after_download(
    hass: HomeAssistant, wired: Wired, client: TestClient, events: list[Event]
) -> None:
    gate = asyncio.Event()
    wired.downloader.gate = gate
    assert await _post(client, INBOUND_MMS_WITH_PARTS) == 200
    # Replied before the download finished: nothing published yet.
    assert events == []
    assert len(wired.downloader.calls) == 1
    gate.set()
    await hass.async_block_till_done()
    [event] = events
    assert event.data["is_mms"] is True
    assert event.data["body"] == "Look"
    assert event.data["media"] == [
        {
            "url": "https://s/IMG_0002.png",
            "mime_type": "image/png",
            "file_name": "IMG_0002.png",
            "file_size": 1200,
            "local_path": "/media/flowroute/mdr2-5a1b-0",
            "media_content_id": "media-source://flowroute/x/mdr2-5a1b-0",
        },
        {
            "url": "https://s/text_0.txt",
            "mime_type": "text/plain",
            "file_name": None,
            "file_size": None,
            "local_path": "/media/flowroute/mdr2-5a1b-1",
            "media_content_id": "media-source://flowroute/x/mdr2-5a1b-1",
        },
    ]
    assert wired.signals[0].media[0].local_path == "/media/flowroute/mdr2-5a1b-0"


async def test_unload_during_a_download_still_publishes_the_remote_urls(
    hass: HomeAssistant, wired: Wired, client: TestClient, events: list[Event]
) -> None:
    # The id is answered 200 and remembered at once: if unloading the entry (any options
    # change reloads it) cut the download short unpublished, the text would be lost.
    wired.downloader.gate = asyncio.Event()
    assert await _post(client, INBOUND_MMS) == 200
    await hass.async_block_till_done(wait_background_tasks=False)
    assert events == []
    await unload(hass, wired.entry)
    [event] = events
    assert event.data["message_id"] == INBOUND_MMS["data"]["id"]
    assert [item["url"] for item in event.data["media"]] == ["https://<temporary storage>/..."]
    assert "local_path" not in event.data["media"][0]


async def test_failed_download_keeps_the_remote_urls(
    hass: HomeAssistant, wired: Wired, client: TestClient, events: list[Event]
) -> None:
    wired.downloader.error = OSError("disk full")
    assert await _post(client, INBOUND_MMS) == 200
    await hass.async_block_till_done()
    [event] = events
    assert event.data["media"] == [
        {
            "url": "https://<temporary storage>/...",
            "mime_type": "image/jpeg",
            "file_name": "IMG_0001.jpg",
            "file_size": 48213,
        }
    ]


@pytest.mark.parametrize("options", [{CONF_DOWNLOAD_MEDIA: False}])
async def test_download_option_off_publishes_at_once(
    wired: Wired, client: TestClient, events: list[Event]
) -> None:
    assert await _post(client, INBOUND_MMS) == 200
    # Published inside the request, without the downloader.
    assert [item["url"] for item in events[0].data["media"]] == ["https://<temporary storage>/..."]
    assert "local_path" not in events[0].data["media"][0]
    assert wired.downloader.calls == []


async def test_mms_from_the_simulator(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    wired: Wired,
    client: TestClient,
    events: list[Event],
) -> None:
    simulator.state.set_number_callback(DID_1, CallbackKind.MMS, str(client.make_url(HOOK_PATH)))
    simulator.inject_inbound(
        from_=HANDSET, to=DID_1, body="Porch", media=[InboundMedia(file_name="a.png")], smil=True
    )
    await simulator.idle()
    await hass.async_block_till_done()
    [event] = events
    assert event.data["body"] == "Porch"
    # The SMIL layout part never reaches the downloader or the event.
    [item] = event.data["media"]
    assert item["mime_type"] == "image/png"
    assert item["url"].startswith(simulator.url)
    assert "local_path" in item


# Keyword replies are billed texts to whoever an unsigned callback names


def _text(body: str, *, sender: str = HANDSET, did: str = DID_1, message_id: str) -> Any:
    return {**LEGACY_INBOUND, "id": message_id, "from": sender, "to": did, "body": body}


async def test_one_keyword_reply_per_number_per_cooldown(
    hass: HomeAssistant, wired: Wired, client: TestClient, freezer: Any
) -> None:
    for n in range(5):  # forged HELPs, each with a new id
        assert await _post(client, _text("HELP", message_id=f"mdr2-help{n}")) == 200
    assert await _post(client, _text("HELP", sender=OTHER, message_id="mdr2-other")) == 200
    await hass.async_block_till_done()
    assert [number for number, _, _ in wired.replies.sent] == [HANDSET, OTHER]

    freezer.tick(3601)  # the default cooldown is an hour
    assert await _post(client, _text("info", message_id="mdr2-later")) == 200
    await hass.async_block_till_done()
    assert [number for number, _, _ in wired.replies.sent] == [HANDSET, OTHER, HANDSET]


@pytest.mark.parametrize("options", [{CONF_REPLY_COOLDOWN: 0}])
async def test_the_cooldown_can_be_turned_off(
    hass: HomeAssistant, wired: Wired, client: TestClient
) -> None:
    for n in range(3):
        assert await _post(client, _text("HELP", message_id=f"mdr2-help{n}")) == 200
    await hass.async_block_till_done()
    assert len(wired.replies.sent) == 3


async def test_keyword_replies_go_to_north_america_only(
    hass: HomeAssistant, wired: Wired, client: TestClient, events: list[Event]
) -> None:
    assert await _post(client, _text("HELP", sender=ABROAD, message_id="mdr2-abroad")) == 200
    await hass.async_block_till_done()
    assert wired.replies.sent == []
    assert [event.data["keyword"] for event in events] == ["help"]  # still a HELP


@pytest.mark.parametrize("options", [{CONF_REPLY_INTERNATIONAL: True}])
async def test_keyword_replies_abroad_when_allowed(
    hass: HomeAssistant, wired: Wired, client: TestClient
) -> None:
    assert await _post(client, _text("HELP", sender=ABROAD, message_id="mdr2-abroad")) == 200
    await hass.async_block_till_done()
    assert [number for number, _, _ in wired.replies.sent] == [ABROAD]


async def test_the_cooldown_remembers_a_bounded_number_of_senders(
    hass: HomeAssistant, wired: Wired, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cooldown = wired.manager._inbound._replies.cooldown
    monkeypatch.setattr(cooldown, "max_keys", 3)
    for n in range(6):
        sender = f"1206555{n:04d}"
        assert await _post(client, _text("HELP", sender=sender, message_id=f"mdr2-h{n}")) == 200
    await hass.async_block_till_done()
    assert len(cooldown) == 3
    assert len(wired.replies.sent) == 3


# Numbers of the account that the entry does not use


@pytest.mark.parametrize("account_numbers", [(DID_1, DID_2, SPARE_DID)])
async def test_stop_to_an_unconfigured_number_of_the_account_is_kept(
    hass: HomeAssistant, wired: Wired, client: TestClient, events: list[Event]
) -> None:
    assert await _post(client, _text("STOP", did=SPARE_DID, message_id="mdr2-spare")) == 200
    # Not this entry's number: nothing is published...
    assert events == []
    # ...but the opt-out is kept for that number, should it be added later.
    assert wired.opt_outs.is_opted_out(SPARE_DID, HANDSET)
    assert not wired.opt_outs.is_opted_out(DID_1, HANDSET)
    assert await _post(client, _text("HELP", did=SPARE_DID, message_id="mdr2-spare-help")) == 200
    await hass.async_block_till_done()
    assert wired.replies.sent == []  # no replies from a number the entry does not use


async def test_stop_to_a_number_of_no_account_is_ignored(
    hass: HomeAssistant, wired: Wired, client: TestClient, events: list[Event]
) -> None:
    assert await _post(client, _text("STOP", did=SPARE_DID, message_id="mdr2-stranger")) == 200
    assert events == []
    assert not wired.opt_outs.is_opted_out(SPARE_DID, HANDSET)

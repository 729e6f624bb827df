"""What the webhook and inbound tests share: an entry wired to fakes of the other helpers.

The webhook manager is built here with a recording receipt tracker and a scripted media
downloader (the real ones belong to receipts.py and inbound_media.py), on an entry of
its own that the integration does not set up.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flowroute.assist import AssistRelay
from custom_components.flowroute.const import (
    CONF_DOWNLOAD_MEDIA,
    CONF_NUMBERS,
    DOMAIN,
    SIGNAL_MESSAGE_RECEIVED,
)
from custom_components.flowroute.dedup import RecentIds
from custom_components.flowroute.inbound import InboundRouter
from custom_components.flowroute.messages import ReceivedMedia, ReceivedMessage, remote_media
from custom_components.flowroute.opt_out import OptOutList
from custom_components.flowroute.questions import QuestionBoard
from custom_components.flowroute.webhook import WebhookManager

from .conftest import DID_1, DID_2

if TYPE_CHECKING:
    from custom_components.flowroute.api import DeliveryReceipt, InboundMessage

HOOK_ID = "feedfacefeedfacefeedfacefeedface"
HOOK_PATH = f"/api/webhook/{HOOK_ID}"


@dataclass
class FakeReceipts:
    """Records the receipts the webhook hands over."""

    received: list[DeliveryReceipt] = field(default_factory=list)

    async def async_handle(self, receipt: DeliveryReceipt) -> None:
        self.received.append(receipt)


@dataclass
class FakeDownloader:
    """Saves nothing: returns each item with a made-up local path, optionally late."""

    calls: list[InboundMessage] = field(default_factory=list)
    gate: asyncio.Event | None = None
    error: Exception | None = None

    async def async_download(self, message: InboundMessage) -> tuple[ReceivedMedia, ...]:
        self.calls.append(message)
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return tuple(
            ReceivedMedia(
                url=item.url,
                mime_type=item.mime_type,
                file_name=item.file_name,
                file_size=item.file_size,
                local_path=f"/media/flowroute/{message.message_id}-{index}",
                media_content_id=f"media-source://flowroute/x/{message.message_id}-{index}",
            )
            for index, item in enumerate(message.media)
        ) or remote_media(message)


@dataclass
class FakeReplies:
    """Records the keyword replies the pipeline sends (sending is tested on its own)."""

    sent: list[tuple[str, str, str | None]] = field(default_factory=list)

    async def async_send(
        self, *, to: list[str], body: str, from_did: str | None, origin: object = None
    ) -> None:
        self.sent.extend((number, body, from_did) for number in to)


@dataclass
class Wired:
    """A registered webhook and what it talks to."""

    entry: MockConfigEntry
    manager: WebhookManager
    recent: RecentIds
    receipts: FakeReceipts
    downloader: FakeDownloader
    signals: list[ReceivedMessage]
    opt_outs: OptOutList
    replies: FakeReplies


def make_entry(hass: HomeAssistant, **options: Any) -> MockConfigEntry:
    """Add (not set up) an entry owning the simulator's two numbers."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Flowroute webhook test",
        data={CONF_NUMBERS: [DID_1, DID_2], CONF_WEBHOOK_ID: HOOK_ID},
        options=options,
    )
    entry.add_to_hass(hass)
    return entry


async def wire(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    downloader: FakeDownloader | None = None,
    *,
    account_numbers: tuple[str, ...] = (),
) -> Wired:
    """Register the entry's webhook the way __init__ does, with fakes of the other helpers."""
    downloader = downloader or FakeDownloader()
    receipts = FakeReceipts()
    recent = RecentIds(hass, entry.entry_id)
    opt_outs = OptOutList(hass, entry)
    await opt_outs.async_load()
    replies = FakeReplies()
    manager = WebhookManager(
        hass,
        entry,
        inbound=InboundRouter(
            hass,
            entry,
            # As the entry's builder does: no downloader while the option is off.
            downloader=downloader if entry.options.get(CONF_DOWNLOAD_MEDIA, True) else None,
            opt_outs=opt_outs,
            replies=replies,
            questions=QuestionBoard(hass),
            assist=AssistRelay(hass, entry, sender=replies, opt_outs=opt_outs),
            account_numbers=account_numbers,
        ),
        receipts=receipts,
        recent=recent,
    )
    await manager.async_register()
    signals: list[ReceivedMessage] = []

    @callback
    def _record(message: ReceivedMessage) -> None:
        signals.append(message)

    for did in entry.data[CONF_NUMBERS]:
        entry.async_on_unload(
            async_dispatcher_connect(
                hass, SIGNAL_MESSAGE_RECEIVED.format(entry_id=entry.entry_id, did=did), _record
            )
        )
    return Wired(entry, manager, recent, receipts, downloader, signals, opt_outs, replies)


async def unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Run the entry's unload callbacks and cancel its background tasks, as an unload does."""
    await entry._async_process_on_unload(hass)
    await hass.async_block_till_done()

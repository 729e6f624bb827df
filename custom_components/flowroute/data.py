"""Runtime data of a Flowroute config entry: every object a loaded entry runs, built here.

`async_build_runtime_data` is the one place that wires an entry: the opt-out list, the
receipt tracker (which tells the opt-out list of 1110 receipts), the outcomes of send
attempts (receipts, opt-outs, failure repairs, then the entities), the outbox, the usage
coordinator (whose spend the budget reads), the guard rails, the send path, the media
downloader, the Assist relay, the inbound router (which also answers the questions of
`flowroute.ask`) and the webhook (whose inbound texts also tell the callbacks' repair that
they arrive). Each object registers its own unload with the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .assist import AssistRelay
from .const import (
    CONF_DOWNLOAD_MEDIA,
    CONF_MMS_RATE,
    CONF_RETRY_HORIZON,
    CONF_SMS_RATE,
    DEFAULT_MMS_RATE,
    DEFAULT_RETRY_HORIZON_HOURS,
    DEFAULT_SMS_RATE,
)
from .conversations import ConversationStore
from .guards import SendGuards
from .inbound import InboundRouter
from .inbound_media import MediaDownloader
from .opt_out import OptOutList
from .outbound_media import DATA_MEDIA_HOST, MediaHost
from .outbox import Outbox
from .outcomes import SendOutcomes
from .questions import DATA_QUESTIONS
from .receipts import ReceiptTracker
from .repairs import SendFailureTracker, async_callbacks_reached
from .sending import Sender
from .usage import UsageCoordinator
from .webhook import WebhookManager

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .api import FlowrouteClient

type FlowrouteConfigEntry = ConfigEntry[FlowrouteData]


@dataclass(slots=True, kw_only=True)
class FlowrouteData:
    """What a loaded entry runs (diagnostics need nothing else)."""

    client: FlowrouteClient
    account_numbers: tuple[str, ...]  # as Flowroute listed them at setup (may be empty)
    opt_outs: OptOutList
    receipts: ReceiptTracker
    failures: SendFailureTracker
    outcomes: SendOutcomes
    outbox: Outbox
    usage: UsageCoordinator  # the message records' totals; the budget reads its spend
    guards: SendGuards
    sender: Sender
    media_host: MediaHost
    downloader: MediaDownloader  # the router is given it only while downloads are on
    assist: AssistRelay
    router: InboundRouter
    webhook: WebhookManager
    conversations: ConversationStore  # the Texts panel's threads

    async def async_start(self) -> None:
        """Start sending and receiving, once the entities listen."""
        # What the outbox resumes from storage may go out at once.
        await self.outbox.async_start()
        self.router.async_start()
        await self.webhook.async_register()
        self.usage.async_start()


async def async_build_runtime_data(
    hass: HomeAssistant,
    entry: FlowrouteConfigEntry,
    client: FlowrouteClient,
    account_numbers: tuple[str, ...],
) -> FlowrouteData:
    """Build (and load) every runtime object of the entry; nothing sends or listens yet."""
    options = entry.options
    conversations = ConversationStore(hass, entry)
    await conversations.async_load()
    entry.async_on_unload(conversations.async_unload)
    opt_outs = OptOutList(hass, entry)
    await opt_outs.async_load()
    entry.async_on_unload(opt_outs.async_unload)
    receipts = ReceiptTracker(hass, entry, opt_outs=opt_outs, conversations=conversations)
    await receipts.async_load()
    entry.async_on_unload(receipts.async_unload)
    failures = SendFailureTracker(hass, entry)
    outcomes = SendOutcomes(
        hass,
        entry,
        receipts=receipts,
        opt_outs=opt_outs,
        failures=failures,
        conversations=conversations,
    )
    outbox = Outbox(
        hass,
        entry,
        client,
        sms_per_second=float(options.get(CONF_SMS_RATE, DEFAULT_SMS_RATE)),
        mms_per_second=float(options.get(CONF_MMS_RATE, DEFAULT_MMS_RATE)),
        horizon=timedelta(
            hours=float(options.get(CONF_RETRY_HORIZON, DEFAULT_RETRY_HORIZON_HOURS))
        ),
        reporter=outcomes,
        gate=opt_outs,
    )
    media_host = hass.data[DATA_MEDIA_HOST]
    usage = await UsageCoordinator.async_create(hass, entry, client)
    guards = SendGuards(hass, entry, spend_today=usage.spend_today)
    await guards.async_load()
    entry.async_on_unload(guards.async_unload)
    sender = Sender(
        hass,
        entry,
        outbox=outbox,
        opt_outs=opt_outs,
        receipts=receipts,
        media_host=media_host,
        guards=guards,
        conversations=conversations,
    )
    # Built either way: it also deletes old pictures (retention), downloads or not.
    downloader = await MediaDownloader.async_create(hass, entry)
    assist = AssistRelay(hass, entry, sender=sender, opt_outs=opt_outs)
    router = InboundRouter(
        hass,
        entry,
        downloader=downloader if options.get(CONF_DOWNLOAD_MEDIA, True) else None,
        opt_outs=opt_outs,
        replies=sender,
        questions=hass.data[DATA_QUESTIONS],
        assist=assist,
        account_numbers=account_numbers,
        conversations=conversations,
    )
    return FlowrouteData(
        client=client,
        account_numbers=account_numbers,
        opt_outs=opt_outs,
        receipts=receipts,
        failures=failures,
        outcomes=outcomes,
        outbox=outbox,
        usage=usage,
        guards=guards,
        sender=sender,
        media_host=media_host,
        downloader=downloader,
        assist=assist,
        router=router,
        webhook=WebhookManager(
            hass,
            entry,
            inbound=router,
            receipts=receipts,
            reached=partial(async_callbacks_reached, hass, entry),
        ),
        conversations=conversations,
    )

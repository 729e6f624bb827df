"""The Flowroute integration: SMS and MMS through a Flowroute account."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.const import (
    CONF_NAME,
    EVENT_CORE_CONFIG_UPDATE,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import discovery
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send

from .api import (
    DEFAULT_BASE_URL,
    FlowrouteAuthenticationError,
    FlowrouteClient,
    FlowrouteError,
    count_segments,
    format_number,
)
from .const import (
    CONF_ACCESS_KEY,
    CONF_BASE_URL,
    CONF_MMS_RATE,
    CONF_NUMBERS,
    CONF_RETRY_HORIZON,
    CONF_SECRET_KEY,
    CONF_SMS_RATE,
    DEFAULT_MMS_RATE,
    DEFAULT_RETRY_HORIZON_HOURS,
    DEFAULT_SMS_RATE,
    DOMAIN,
    LOGGER,
    SIGNAL_BLOCKED,
    SIGNAL_RECEIPT,
    SIGNAL_SEND_FAILED,
    SIGNAL_SENT,
)
from .data import FlowrouteData
from .inbound import InboundPipeline, async_keep_bodies_out_of_recorder
from .inbound_media import MediaDownloader, async_register_view
from .media import async_setup_media
from .messages import SentNotice
from .opt_out import OptOutList
from .outbox import FailureReason, OutboundMessage, Outbox
from .receipts import ReceiptTracker
from .repairs import SendFailureTracker, async_check_external_url, async_opt_out_save_failed
from .sending import Sender
from .services import async_setup_services
from .storage import async_remove_entry_stores
from .webhook import WebhookManager, async_remove_cloudhook

if TYPE_CHECKING:
    from homeassistant.helpers.typing import ConfigType

    from .data import FlowrouteConfigEntry

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, the media view and the legacy notify service once."""
    async_setup_services(hass)
    await async_setup_media(hass)
    async_register_view(hass)
    hass.async_create_task(
        discovery.async_load_platform(hass, Platform.NOTIFY, DOMAIN, {CONF_NAME: DOMAIN}, config),
        eager_start=True,
    )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> bool:
    """Check the credentials, start the outbox and add the platforms."""
    client = FlowrouteClient(
        entry.data[CONF_ACCESS_KEY],
        entry.data[CONF_SECRET_KEY],
        session=async_get_clientsession(hass),
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL),
    )
    account_numbers: list[str] = []
    try:
        account_numbers = [number.number for number in await client.list_numbers()]
    except FlowrouteAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except FlowrouteError as err:
        # Sending must not depend on Flowroute being up at start-up: the outbox keeps
        # what is asked for and delivers once Flowroute answers again.
        LOGGER.warning("Flowroute did not answer at start-up, queueing until it does: %s", err)

    failures = SendFailureTracker(hass, entry)
    receipts = ReceiptTracker(hass, entry)
    await receipts.async_load()
    entry.async_on_unload(receipts.async_unload)
    opt_outs = OptOutList(hass, entry)
    await opt_outs.async_load()
    entry.async_on_unload(opt_outs.async_unload)
    for did in entry.data[CONF_NUMBERS]:
        entry.async_on_unload(
            async_dispatcher_connect(
                hass,
                SIGNAL_RECEIPT.format(entry_id=entry.entry_id, did=did),
                opt_outs.async_on_receipt,
            )
        )

    @callback
    def on_sent(message: OutboundMessage, message_id: str) -> None:
        failures.async_sent(message, message_id)
        receipts.async_track_sent(message_id, message.to, message.from_number)
        async_dispatcher_send(
            hass,
            SIGNAL_SENT.format(entry_id=entry.entry_id, did=message.from_number),
            _notice(entry, message, message_id),
        )

    @callback
    def on_failed(
        message: OutboundMessage, reason: FailureReason, error: FlowrouteError | None
    ) -> None:
        failures.async_failed(message, reason, error)
        opt_outs.async_on_send_error(message, error)
        signal = SIGNAL_BLOCKED if reason is FailureReason.OPTED_OUT else SIGNAL_SEND_FAILED
        async_dispatcher_send(
            hass,
            signal.format(entry_id=entry.entry_id, did=message.from_number),
            _notice(entry, message, None),
        )

    outbox = Outbox(
        hass,
        entry,
        client,
        sms_per_second=float(entry.options.get(CONF_SMS_RATE, DEFAULT_SMS_RATE)),
        mms_per_second=float(entry.options.get(CONF_MMS_RATE, DEFAULT_MMS_RATE)),
        horizon=timedelta(
            hours=float(entry.options.get(CONF_RETRY_HORIZON, DEFAULT_RETRY_HORIZON_HOURS))
        ),
        on_sent=on_sent,
        on_failed=on_failed,
        on_auth_failed=lambda: entry.async_start_reauth(hass),
        may_send=lambda message: not opt_outs.is_opted_out(message.from_number, message.to),
        held=lambda: not opt_outs.available,
    )
    entry.runtime_data = FlowrouteData(
        client=client,
        outbox=outbox,
        sender=Sender(hass, entry, outbox, opt_outs),
        receipts=receipts,
        opt_outs=opt_outs,
    )
    _async_update_devices(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Started once the entities listen: what it resumes from storage may go out at once.
    await outbox.async_start()
    entry.async_on_unload(outbox.async_stop)

    async def stop_outbox(_: Event) -> None:
        # Entries are not unloaded when Home Assistant stops: save the queue as it stands.
        await outbox.async_stop()

    entry.async_on_unload(hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, stop_outbox))
    # Registered last: a Home Assistant Cloud hook, created once, is stored in the entry's
    # data, which must not trigger the update listener's reload.
    async_keep_bodies_out_of_recorder(hass, entry)
    pipeline = InboundPipeline(
        hass,
        entry,
        downloader=await MediaDownloader.async_create(hass, entry),
        opt_outs=opt_outs,
        replies=entry.runtime_data.sender,
        account_numbers=account_numbers,
    )
    await WebhookManager(hass, entry, inbound=pipeline, receipts=receipts).async_register()
    async_check_external_url(hass, entry)

    @callback
    def recheck_external_url(_: Event) -> None:
        async_check_external_url(hass, entry)

    entry.async_on_unload(hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, recheck_external_url))
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> bool:
    """Unload the platforms; the outbox stops and saves through async_on_unload."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Forget what the entry stored; received media files stay (they are the user's)."""
    await async_remove_entry_stores(hass, entry.entry_id)
    async_opt_out_save_failed(hass, entry, error=None)
    await async_remove_cloudhook(hass, entry)


def _notice(
    entry: FlowrouteConfigEntry, message: OutboundMessage, message_id: str | None
) -> SentNotice:
    return SentNotice(
        config_entry_id=entry.entry_id,
        message_id=message_id,
        to_number=message.to,
        from_number=message.from_number,
        is_mms=message.is_mms,
        segments=1 if message.is_mms else count_segments(message.body),
    )


async def _async_reload(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Apply new options and contacts (the outbox hands over through its store)."""
    await hass.config_entries.async_reload(entry.entry_id)


@callback
def _async_update_devices(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """One device per DID; drop devices of numbers no longer configured."""
    registry = dr.async_get(hass)
    numbers: list[str] = entry.data[CONF_NUMBERS]
    for number in numbers:
        registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, number)},
            name=format_number(number),
            manufacturer="Flowroute",
            model="Phone number",
            entry_type=dr.DeviceEntryType.SERVICE,
        )
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        did = next((ident for domain, ident in device.identifiers if domain == DOMAIN), None)
        if did is not None and did.isdigit() and did not in numbers:
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)

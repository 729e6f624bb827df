"""Actions of the Flowroute integration, registered once in async_setup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .const import DOMAIN
from .opt_out import OptOutReason
from .outbound_media import async_resolve_media
from .sending import normalize_recipient

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    # Home Assistant 2026 validates with probatio (installed as `voluptuous` too) and
    # its signatures name probatio's classes: type-check against those.
    import probatio as vol

    from .data import FlowrouteConfigEntry
    from .sending import Sender
else:
    import voluptuous as vol

SERVICE_SEND_MESSAGE: Final = "send_message"
SERVICE_OPT_OUT: Final = "opt_out"
SERVICE_OPT_IN: Final = "opt_in"
SERVICE_LIST_OPT_OUTS: Final = "list_opt_outs"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"  # homeassistant.const has it from 2025.5
ATTR_TO: Final = "to"
ATTR_MESSAGE: Final = "message"
ATTR_FROM: Final = "from"
ATTR_MEDIA_URLS: Final = "media_urls"
ATTR_MEDIA: Final = "media"
ATTR_WAIT_FOR_DELIVERY: Final = "wait_for_delivery"
ATTR_NUMBER: Final = "number"
ATTR_DID: Final = "did"
MAX_WAIT_FOR_DELIVERY: Final = 600

SEND_MESSAGE_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_TO): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_MESSAGE, default=""): cv.string,
        vol.Optional(ATTR_FROM): cv.string,
        vol.Optional(ATTR_MEDIA_URLS, default=list): vol.All(cv.ensure_list, [cv.url]),
        vol.Optional(ATTR_MEDIA, default=list): vol.All(cv.ensure_list, [vol.Any(cv.string, dict)]),
        vol.Optional(ATTR_WAIT_FOR_DELIVERY): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=MAX_WAIT_FOR_DELIVERY)
        ),
    }
)

OPT_OUT_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_NUMBER): cv.string,
        vol.Optional(ATTR_DID): cv.string,
    }
)
LIST_OPT_OUTS_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_DID): cv.string,
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        _async_send_message,
        schema=SEND_MESSAGE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    for service, opted_out in ((SERVICE_OPT_OUT, True), (SERVICE_OPT_IN, False)):
        hass.services.async_register(
            DOMAIN, service, _opt_out_handler(opted_out=opted_out), schema=OPT_OUT_SCHEMA
        )
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_OPT_OUTS,
        _async_list_opt_outs,
        schema=LIST_OPT_OUTS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


def async_sender_for(hass: HomeAssistant, entry_id: str | None, from_did: str | None) -> Sender:
    """Find the loaded entry that should send: by id, by sending DID, or the only one."""
    return async_entry_for(hass, entry_id, from_did).runtime_data.sender


def _loaded_entries(hass: HomeAssistant) -> list[FlowrouteConfigEntry]:
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]


def async_entry_for(
    hass: HomeAssistant, entry_id: str | None, did: str | None
) -> FlowrouteConfigEntry:
    """Find the loaded entry an action is for: by id, by one of its DIDs, or the only one."""
    entries = _loaded_entries(hass)
    if entry_id is not None:
        entries = [entry for entry in entries if entry.entry_id == entry_id]
        if not entries:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"entry_id": entry_id},
            )
    elif did:
        number = normalize_recipient(did)
        entries = [entry for entry in entries if entry.runtime_data.sender.owns(number)] or entries
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_loaded")
    if len(entries) > 1:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="ambiguous_entry")
    return entries[0]


async def _async_send_message(call: ServiceCall) -> ServiceResponse:
    """Send an SMS or MMS to one or more recipients."""
    hass = call.hass
    sender = async_sender_for(hass, call.data.get(ATTR_CONFIG_ENTRY_ID), call.data.get(ATTR_FROM))
    media = [await async_resolve_media(hass, item) for item in call.data[ATTR_MEDIA]]
    results = await sender.async_send(
        to=call.data[ATTR_TO],
        body=call.data[ATTR_MESSAGE],
        from_did=call.data.get(ATTR_FROM),
        media_urls=call.data[ATTR_MEDIA_URLS],
        media=media,
        wait_for_delivery=call.data.get(ATTR_WAIT_FOR_DELIVERY),
    )
    response: dict[str, Any] = {"messages": [result.as_dict() for result in results]}
    return response


def _opt_out_handler(*, opted_out: bool) -> Callable[[ServiceCall], Coroutine[Any, Any, None]]:
    """Return the handler of `flowroute.opt_out` or `flowroute.opt_in`."""

    async def handle(call: ServiceCall) -> None:
        did_text: str | None = call.data.get(ATTR_DID)
        entry = async_entry_for(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID), did_text)
        number = normalize_recipient(call.data[ATTR_NUMBER])
        opt_outs = entry.runtime_data.opt_outs
        if did_text:
            # resolve_from checks that the DID is one of the entry's numbers.
            did = entry.runtime_data.sender.resolve_from(did_text)
            opt_outs.async_set(did, number, opted_out=opted_out, reason=OptOutReason.ACTION)
        else:
            opt_outs.async_set_all(number, opted_out=opted_out, reason=OptOutReason.ACTION)

    return handle


async def _async_list_opt_outs(call: ServiceCall) -> ServiceResponse:
    """List who opted out: of one entry (or every loaded one), optionally of one DID."""
    hass = call.hass
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    did_text: str | None = call.data.get(ATTR_DID)
    entries = (
        [async_entry_for(hass, entry_id, did_text)]
        if entry_id is not None or did_text
        else _loaded_entries(hass)
    )
    did = normalize_recipient(did_text) if did_text else None
    opt_outs: list[dict[str, Any]] = [
        {**item.as_dict(), ATTR_CONFIG_ENTRY_ID: entry.entry_id}
        for entry in entries
        for item in entry.runtime_data.opt_outs.entries(did)
    ]
    response: dict[str, Any] = {"opt_outs": opt_outs}
    return response

"""Device triggers of a number: a text arrives, a text contains a phrase, a recipient opts out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN, EVENT_MESSAGE_RECEIVED, EVENT_OPT_OUT_CHANGED

if TYPE_CHECKING:
    # Home Assistant 2026 validates with probatio (installed as `voluptuous` too) and
    # its signatures name probatio's classes: type-check against those.
    import probatio as vol
    from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
    from homeassistant.helpers.typing import ConfigType
else:
    import voluptuous as vol

TRIGGER_MESSAGE_RECEIVED = "message_received"
TRIGGER_MESSAGE_CONTAINS = "message_contains"
TRIGGER_RECIPIENT_OPTED_OUT = "recipient_opted_out"
TRIGGER_TYPES = (TRIGGER_MESSAGE_RECEIVED, TRIGGER_MESSAGE_CONTAINS, TRIGGER_RECIPIENT_OPTED_OUT)
CONF_PHRASE = "phrase"

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In(TRIGGER_TYPES),
        vol.Optional(CONF_PHRASE): vol.All(cv.string, vol.Length(min=1)),
    }
)


def did_of_device(hass: HomeAssistant, device_id: str) -> str | None:
    """Return the number a device stands for, or None for other devices (contacts)."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    return next(
        (ident for domain, ident in device.identifiers if domain == DOMAIN and ident.isdigit()),
        None,
    )


async def async_validate_trigger_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
    """Check the schema, and that "message contains" has its phrase."""
    config = TRIGGER_SCHEMA(config)
    if config[CONF_TYPE] == TRIGGER_MESSAGE_CONTAINS and not config.get(CONF_PHRASE):
        raise InvalidDeviceAutomationConfig(f"{TRIGGER_MESSAGE_CONTAINS} needs a {CONF_PHRASE}")
    return config


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """List the triggers of a number's device; contacts have none."""
    if did_of_device(hass, device_id) is None:
        return []
    return [
        {CONF_PLATFORM: "device", CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: kind}
        for kind in TRIGGER_TYPES
    ]


async def async_get_trigger_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """Ask for the phrase of "message contains"."""
    if config[CONF_TYPE] == TRIGGER_MESSAGE_CONTAINS:
        return {"extra_fields": vol.Schema({vol.Required(CONF_PHRASE): cv.string})}
    return {}


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen to the bus event behind the trigger, for this number only."""
    did = did_of_device(hass, config[CONF_DEVICE_ID])
    if did is None:
        raise InvalidDeviceAutomationConfig(f"Device {config[CONF_DEVICE_ID]} is not a number")
    if config[CONF_TYPE] == TRIGGER_MESSAGE_CONTAINS:
        return _attach_contains(hass, did, config[CONF_PHRASE], action, trigger_info)
    if config[CONF_TYPE] == TRIGGER_RECIPIENT_OPTED_OUT:
        event_type, event_data = EVENT_OPT_OUT_CHANGED, {"did": did, "opted_out": True}
    else:
        event_type, event_data = EVENT_MESSAGE_RECEIVED, {"to": did}
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: event_type,
            CONF_EVENT_DATA: event_data,
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )


@callback
def _attach_contains(
    hass: HomeAssistant,
    did: str,
    phrase: str,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Run the action for texts to the number whose body contains the phrase, any case."""
    needle = phrase.casefold()
    job = HassJob(action, f"flowroute message contains {trigger_info}")
    trigger_data = trigger_info["trigger_data"]

    @callback
    def matches(event_data: Any) -> bool:
        body = event_data.get("body")
        return event_data.get("to") == did and isinstance(body, str) and needle in body.casefold()

    @callback
    def handle(event: Event) -> None:
        # The same variables as an event trigger's (`trigger.event`), plus the phrase.
        hass.async_run_hass_job(
            job,
            {
                "trigger": {
                    **trigger_data,
                    "platform": "device",
                    "event": event,
                    "phrase": phrase,
                    "description": f"text containing '{phrase}'",
                }
            },
            event.context,
        )

    return hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, handle, event_filter=matches)

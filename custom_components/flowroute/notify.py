"""Notify: an entity per contact, and the legacy `notify.flowroute` service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.notify import NotifyEntity, NotifyEntityDescription
from homeassistant.components.notify.const import ATTR_DATA, ATTR_TARGET, ATTR_TITLE
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .api import format_number
from .const import CONF_NUMBER, CONF_PREFERRED_DID, DOMAIN, SUBENTRY_CONTACT
from .sending import STATUS_BLOCKED, opted_out_error
from .services import ATTR_FROM, ATTR_MEDIA_URLS, async_sender_for

if TYPE_CHECKING:
    from homeassistant.components.notify.const import NotifyEntityFeature
    from homeassistant.config_entries import ConfigSubentry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

    from .data import FlowrouteConfigEntry
else:
    # Defined in the package in Home Assistant 2025.4, in its `const` in later versions
    # (which the package imports without exporting it): only the package works on both.
    from homeassistant.components.notify import NotifyEntityFeature

PARALLEL_UPDATES = 0

CONTACT = NotifyEntityDescription(key="contact", translation_key="contact", has_entity_name=True)


def _with_title(message: str, title: str | None) -> str:
    """Return the text: a text has no title, so one that is given is its first line."""
    return f"{title}\n{message}" if title else message


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FlowrouteConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a notify entity for every contact."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_CONTACT:
            async_add_entities(
                [ContactNotifyEntity(entry, subentry)], config_subentry_id=subentry.subentry_id
            )


class ContactNotifyEntity(NotifyEntity):
    """Texts one contact, from their preferred number or the default sender."""

    entity_description = CONTACT
    # Named after the contact's device alone (`notify.alice`): a name set here wins over
    # the translated one, which would make it "Alice Text".
    _attr_name = None
    # notify.send_message offers a title only to entities that take one (_with_title).
    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: FlowrouteConfigEntry, subentry: ConfigSubentry) -> None:
        """Describe the contact as a device of its own."""
        self._entry = entry
        self._number: str = subentry.data[CONF_NUMBER]
        self._preferred_did: str | None = subentry.data.get(CONF_PREFERRED_DID)
        self._attr_unique_id = f"{entry.entry_id}_{subentry.subentry_id}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")},
            name=subentry.title,
            manufacturer="Flowroute",
            model="Contact",
            model_id=format_number(self._number),
            entry_type=DeviceEntryType.SERVICE,
        )

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Text the contact; a title becomes the first line."""
        sender = self._entry.runtime_data.sender
        preferred = (
            self._preferred_did
            if self._preferred_did and sender.owns(self._preferred_did)
            else None
        )
        await sender.async_send(
            to=[self._number],
            body=_with_title(message, title),
            from_did=preferred,
            context=self._context,
        )


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,
    discovery_info: DiscoveryInfoType | None = None,
) -> FlowrouteNotificationService | None:
    """Return the legacy service; it is loaded by discovery from async_setup only."""
    if discovery_info is None:
        return None
    return FlowrouteNotificationService()


class FlowrouteNotificationService(BaseNotificationService):
    """`notify.flowroute`: `target` numbers, `data.media_urls`, `data.from`."""

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Send to every target through the same path as the action."""
        targets: list[str] = list(kwargs.get(ATTR_TARGET) or [])
        if not targets:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_recipients")
        data: dict[str, Any] = kwargs.get(ATTR_DATA) or {}
        from_did = data.get(ATTR_FROM)
        media_urls = data.get(ATTR_MEDIA_URLS) or []
        if isinstance(media_urls, str):
            media_urls = [media_urls]
        sender = async_sender_for(self.hass, None, from_did)
        results = await sender.async_send(
            to=[str(target) for target in targets],
            body=_with_title(message, kwargs.get(ATTR_TITLE)),
            from_did=from_did,
            media_urls=[str(url) for url in media_urls],
        )
        # No response data here to mark them in: the others were sent, then say so.
        if blocked := [result.to for result in results if result.status == STATUS_BLOCKED]:
            raise opted_out_error(blocked, sender.resolve_from(from_did))

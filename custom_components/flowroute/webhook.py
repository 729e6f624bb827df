"""The entry's webhook: the one place that knows its URL (and, later, receives on it)."""

from __future__ import annotations

from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError


@callback
def async_external_webhook_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Return the webhook URL Flowroute can reach, or None without an external URL."""
    try:
        return webhook.async_generate_url(
            hass, webhook_id, allow_internal=False, prefer_external=True
        )
    except NoURLAvailableError:
        return None

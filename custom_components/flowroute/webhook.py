"""The entry's webhook: where Flowroute posts inbound messages and delivery receipts.

Every post flows one way: (optionally) check where it came from -> read (capped) ->
parse -> hand the typed message, once per id, to the inbound router, or the receipt to
the receipt tracker; they decide and publish.

Duplicates: Flowroute posts again what it thinks failed. Messages are recognised here by
their id (a window of recent ids, kept across restarts). Receipts are recognised by the
receipt tracker, which must remember the receipts it applied to each message anyway (its
state machine, saved with the message), so a second copy of that here would only repeat it.
"""

from __future__ import annotations

from collections import deque
from http import HTTPStatus
from typing import TYPE_CHECKING, Final, Protocol

from aiohttp import hdrs, web
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import dt as dt_util

from .api import DeliveryReceipt, InboundMessage, PayloadError, parse_callback, parse_json
from .const import (
    CONF_CLOUDHOOK_URL,
    CONF_FLOWROUTE_ADDRESSES_ONLY,
    DOMAIN,
    FLOWROUTE_CALLBACK_ADDRESSES,
    LOGGER,
)
from .dedup import RecentIds, inbound_key
from .messages import RecentError

if TYPE_CHECKING:
    from collections.abc import Callable

    from .data import FlowrouteConfigEntry
    from .inbound import InboundRouter
    from .messages import ReceiptUpdate

# A Flowroute callback is a few KiB; an MMS only links to its media.
MAX_BODY_BYTES: Final = 1024 * 1024
_READ_CHUNK: Final = 64 * 1024
_CLOUD: Final = "cloud"
# The last refusals diagnostics list: enough to see a pattern, bounded.
RECENT_REJECTIONS: Final = 20


class ReceiptHandler(Protocol):
    """Decides and publishes delivery receipts (receipts.ReceiptTracker)."""

    async def async_handle(self, receipt: DeliveryReceipt) -> ReceiptUpdate | None:
        """Apply the receipt to its message and publish it."""


@callback
def async_external_webhook_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Return the webhook URL Flowroute can reach, or None without an external URL."""
    try:
        return webhook.async_generate_url(
            hass, webhook_id, allow_internal=False, prefer_external=True
        )
    except NoURLAvailableError:
        return None


@callback
def async_callback_url(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> str | None:
    """Return the URL to give Flowroute for the entry: its cloudhook, else the external URL."""
    if cloudhook := entry.data.get(CONF_CLOUDHOOK_URL):
        return str(cloudhook)
    return async_external_webhook_url(hass, entry.data[CONF_WEBHOOK_ID])


class WebhookManager:
    """Registers the entry's webhook (and cloudhook) and handles what arrives on it."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FlowrouteConfigEntry,
        *,
        inbound: InboundRouter,
        receipts: ReceiptHandler,
        recent: RecentIds | None = None,
        reached: Callable[[str], None] | None = None,
    ) -> None:
        """Hand messages to `inbound` and receipts to `receipts`, once each.

        `reached` hears the number of every inbound text: its callbacks point here.
        """
        self._hass = hass
        self._entry = entry
        self._webhook_id: str = entry.data[CONF_WEBHOOK_ID]
        self._inbound = inbound
        self._receipts = receipts
        self._reached = reached
        self._recent = RecentIds(hass, entry.entry_id) if recent is None else recent
        # None: callbacks from anywhere (the default; Flowroute's list may be out of date).
        self._addresses = (
            frozenset(FLOWROUTE_CALLBACK_ADDRESSES)
            if entry.options.get(CONF_FLOWROUTE_ADDRESSES_ONLY, False)
            else None
        )
        self._rejections: deque[RecentError] = deque(maxlen=RECENT_REJECTIONS)

    def recent_rejections(self) -> list[RecentError]:
        """Return the last callbacks refused, oldest first (for diagnostics)."""
        return list(self._rejections)

    async def async_register(self) -> None:
        """Load the seen ids, register the webhook and make sure a cloudhook exists.

        Everything is released through the entry's async_on_unload.
        """
        await self._recent.async_load()
        self._entry.async_on_unload(self._recent.async_close)
        webhook.async_register(
            self._hass,
            DOMAIN,
            self._entry.title,
            self._webhook_id,
            self._async_handle_webhook,
            local_only=False,
            allowed_methods=[hdrs.METH_POST],
        )
        self._entry.async_on_unload(self._async_unregister)
        await self._async_ensure_cloudhook()

    @callback
    def _async_unregister(self) -> None:
        webhook.async_unregister(self._hass, self._webhook_id)

    async def _async_ensure_cloudhook(self) -> None:
        """Create the entry's cloudhook once, when Home Assistant Cloud can."""
        if CONF_CLOUDHOOK_URL in self._entry.data or _CLOUD not in self._hass.config.components:
            return
        # Imported only when loaded: the cloud component pulls in a lot, and may be absent.
        from homeassistant.components import cloud  # noqa: PLC0415

        if not (
            cloud.async_active_subscription(self._hass) and cloud.async_is_connected(self._hass)
        ):
            return
        try:
            url = await cloud.async_create_cloudhook(self._hass, self._webhook_id)
        except cloud.CloudNotAvailable as err:
            LOGGER.warning("Could not create a Home Assistant Cloud webhook: %s", err)
            return
        self._hass.config_entries.async_update_entry(
            self._entry, data={**self._entry.data, CONF_CLOUDHOOK_URL: url}
        )

    async def _async_handle_webhook(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Answer Flowroute fast: 400 for what cannot be parsed, 200 for everything else."""
        if self._addresses is not None and not _from_allowed_address(request, self._addresses):
            return self._reject(HTTPStatus.FORBIDDEN, "not from a Flowroute address")
        raw = await _async_read_capped(request)
        if raw is None:
            return self._reject(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "larger than a callback")
        try:
            parsed = parse_callback(parse_json(raw))
        except PayloadError as err:
            # The error names a field, never the body (it may carry a message's text).
            LOGGER.debug("Ignoring a callback Flowroute should not have sent: %s", err)
            return self._reject(HTTPStatus.BAD_REQUEST, str(err))
        if isinstance(parsed, InboundMessage):
            if self._reached is not None:
                self._reached(parsed.to_number)
            if self._recent.add(inbound_key(parsed)):
                self._inbound.async_handle(parsed)
        else:
            await self._receipts.async_handle(parsed)
        return web.Response(status=HTTPStatus.OK)

    def _reject(self, status: HTTPStatus, description: str) -> web.Response:
        self._rejections.append(
            RecentError(
                at=dt_util.utcnow(),
                kind="callback_rejected",
                code=int(status),
                description=description,
            )
        )
        return web.Response(status=status)


async def async_remove_cloudhook(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Delete the entry's cloudhook (the entry is being removed)."""
    if CONF_CLOUDHOOK_URL not in entry.data or _CLOUD not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    except HomeAssistantError as err:  # CloudNotAvailable and the cloud's own errors
        LOGGER.warning("Could not delete the Home Assistant Cloud webhook: %s", err)


def _from_allowed_address(request: web.Request, addresses: frozenset[str]) -> bool:
    """Whether the post came from one of `addresses`, or was relayed by Home Assistant Cloud.

    `request.remote` is the client's address as Home Assistant's http integration sees it:
    behind a reverse proxy it is the forwarded address only when the http integration is
    set to trust that proxy (use_x_forwarded_for, trusted_proxies), and the proxy's own
    address otherwise. A cloudhook's request has no address at all: the cloud relays it,
    and the cloudhook's URL is its own secret.
    """
    if getattr(request, "mock_source", None) == _CLOUD:
        return True
    if request.remote in addresses:
        return True
    LOGGER.debug("Refusing a callback from %s: not a Flowroute address", request.remote)
    return False


async def _async_read_capped(request: web.Request) -> bytes | None:
    """Return the body, or None when it is larger than MAX_BODY_BYTES."""
    # A cloudhook's request (homeassistant.util.aiohttp.MockRequest) has no content_length.
    length: int | None = getattr(request, "content_length", None)
    if length is not None:
        # Declared: refused unread when too long, else one read (aiohttp stops at length).
        return None if length > MAX_BODY_BYTES else await request.read()
    content = request.content  # MockRequest makes a new reader on each access
    body = bytearray()
    while chunk := await content.read(_READ_CHUNK):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)

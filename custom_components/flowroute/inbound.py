"""Inbound messages: decide what a parsed message is for, then publish it.

A text is published at once, inside the webhook request. An MMS with media is published
after its media is downloaded (the links Flowroute sends expire), in a background task of
the entry so that unloading the entry cancels it.

The bus event carries the body (automations need it), and the recorder stores events:
unless the user opted in to recording bodies, the event type is kept out of the recorder
while the entry is loaded.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final, Protocol

import aiohttp
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import format_number
from .const import (
    CONF_DOWNLOAD_MEDIA,
    CONF_HELP_REPLY,
    CONF_NUMBERS,
    CONF_RECORD_BODIES,
    CONF_REPLY_COOLDOWN,
    CONF_REPLY_INTERNATIONAL,
    CONF_START_REPLY,
    DEFAULT_HELP_REPLY,
    DEFAULT_REPLY_COOLDOWN_MINUTES,
    EVENT_MESSAGE_RECEIVED,
    LOGGER,
    SIGNAL_MESSAGE_RECEIVED,
)
from .keywords import classify_keyword, is_stop_all
from .messages import Keyword, ReceivedMedia, ReceivedMessage
from .opt_out import OptOutList, OptOutReason
from .pacing import Cooldown

if TYPE_CHECKING:
    from collections.abc import Collection

    from .api import InboundMessage
    from .data import FlowrouteConfigEntry

# Numbers remembered by the keyword-reply cooldown: a flood of forged HELPs from new
# numbers fills it (and then gets no reply) instead of growing it.
MAX_REPLY_COOLDOWN_NUMBERS: Final = 10_000

# The loaded entries that keep the event out of the recorder (the exclusion is global).
_UNRECORDED_BY: HassKey[set[str]] = HassKey("flowroute_unrecorded_by")


@callback
def async_keep_bodies_out_of_recorder(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Exclude the message event from the recorder while the entry is loaded, unless opted in.

    One entry that did not opt in keeps the event out for every entry: privacy wins.
    An exclusion the user configured themselves is left alone.
    """
    if entry.options.get(CONF_RECORD_BODIES, False) or "recorder" not in hass.config.components:
        return
    # Imported only when loaded: the recorder pulls in SQLAlchemy.
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    excluded = getattr(get_instance(hass), "exclude_event_types", None)
    if not isinstance(excluded, set):
        LOGGER.warning(
            "Could not keep %s out of the recorder; exclude it in the recorder's configuration",
            EVENT_MESSAGE_RECEIVED,
        )
        return
    users = hass.data.setdefault(_UNRECORDED_BY, set())
    if not users and EVENT_MESSAGE_RECEIVED in excluded:
        return  # the user's own recorder configuration already excludes it
    users.add(entry.entry_id)
    excluded.add(EVENT_MESSAGE_RECEIVED)

    @callback
    def release() -> None:
        users.discard(entry.entry_id)
        if not users:
            excluded.discard(EVENT_MESSAGE_RECEIVED)

    entry.async_on_unload(release)


class MediaDownloader(Protocol):
    """Saves the media of an inbound MMS (inbound_media.MediaDownloader)."""

    async def async_download(self, message: InboundMessage) -> tuple[ReceivedMedia, ...]:
        """Return the message's media; an item that failed keeps its remote URL only."""


def remote_media(message: InboundMessage) -> tuple[ReceivedMedia, ...]:
    """Return the message's media as Flowroute sent it, not downloaded."""
    return tuple(
        ReceivedMedia(
            url=item.url,
            mime_type=item.mime_type,
            file_name=item.file_name,
            file_size=item.file_size,
        )
        for item in message.media
    )


class ReplySender(Protocol):
    """Sends the keyword replies (sending.Sender: the one send path, opt-outs checked)."""

    async def async_send(self, *, to: list[str], body: str, from_number: str | None) -> Any:
        """Send `body` to `to` from `from_number`."""


class InboundPipeline:
    """Turn the entry's inbound messages into events and dispatcher signals."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FlowrouteConfigEntry,
        *,
        downloader: MediaDownloader | None,
        opt_outs: OptOutList,
        replies: ReplySender,
        account_numbers: Collection[str] = (),
    ) -> None:
        """Publish for `entry`; `downloader` is None when media is never downloaded.

        `account_numbers` are the account's DIDs as Flowroute listed them at setup: a STOP
        to one the entry does not use is still kept, for the day it is added.
        """
        self._hass = hass
        self._entry = entry
        self._downloader = downloader
        self._opt_outs = opt_outs
        self._replies = replies
        # The entry's numbers (digits only) and the signal of each number's entities.
        self._signals = {
            did: SIGNAL_MESSAGE_RECEIVED.format(entry_id=entry.entry_id, did=did)
            for did in entry.data[CONF_NUMBERS]
        }
        self._account_numbers = frozenset(account_numbers)
        minutes = entry.options.get(CONF_REPLY_COOLDOWN, DEFAULT_REPLY_COOLDOWN_MINUTES)
        self._reply_cooldown = Cooldown(
            float(minutes) * 60, max_keys=MAX_REPLY_COOLDOWN_NUMBERS, clock=hass.loop.time
        )

    @callback
    def async_handle(self, message: InboundMessage) -> None:
        """Act on a keyword, then publish the message now or once its media is downloaded."""
        keyword = classify_keyword(message.body)
        if message.to_number not in self._signals:
            if keyword is not None and message.to_number in self._account_numbers:
                # A DID of the account that this entry does not use: the opt-out is
                # kept for it (a later reconfigure may add it), nothing else happens.
                self._decide(message, keyword, reply=False)
            else:
                # Another system's number sharing the callback URL: not ours to publish.
                LOGGER.debug("Ignoring message %s to a number of no entry", message.message_id)
            return
        if keyword is not None:
            self._decide(message, keyword)
        if (
            message.media
            and self._downloader is not None
            and self._entry.options.get(CONF_DOWNLOAD_MEDIA, True)
        ):
            self._entry.async_create_background_task(
                self._hass,
                self._async_download_and_publish(self._downloader, message, keyword),
                name=f"flowroute inbound media {message.message_id}",
            )
            return
        self._publish(message, remote_media(message), keyword)

    @callback
    def _decide(self, message: InboundMessage, keyword: Keyword, *, reply: bool = True) -> None:
        """STOP opts the sender out, START back in; HELP and START may get a reply.

        No reply to STOP: Flowroute and the carriers already send one.
        """
        did = message.to_number
        number = message.from_number
        opt_outs = self._opt_outs
        reason = OptOutReason.KEYWORD
        if keyword is Keyword.STOP:
            if is_stop_all(message.body):
                opt_outs.async_set_all(number, opted_out=True, reason=reason)
            else:
                opt_outs.async_set(did, number, opted_out=True, reason=reason)
        elif keyword is Keyword.START:
            # Confirmed only when it lifted a block: "yes" is also an everyday answer.
            lifted = opt_outs.async_set(did, number, opted_out=False, reason=reason)
            if lifted and reply:
                self._reply(did, number, self._entry.options.get(CONF_START_REPLY, ""))
        elif reply:
            self._reply(did, number, self._entry.options.get(CONF_HELP_REPLY, DEFAULT_HELP_REPLY))

    @callback
    def _reply(self, did: str, number: str, text: str) -> None:
        """Text back from the same number, after the webhook has answered.

        Each reply is a billed text to whoever an unsigned callback names: North America
        only unless the user allows others, and at most one per number per cooldown.
        """
        if not text.strip():
            return
        if not (_is_north_american(number) or self._entry.options.get(CONF_REPLY_INTERNATIONAL)):
            LOGGER.info("No keyword reply to %s: outside North America", format_number(number))
            return
        if not self._reply_cooldown.allow(number):
            LOGGER.info("No keyword reply to %s: one was sent recently", format_number(number))
            return
        self._entry.async_create_background_task(
            self._hass, self._async_reply(did, number, text), name="flowroute keyword reply"
        )

    async def _async_reply(self, did: str, number: str, text: str) -> None:
        try:
            await self._replies.async_send(to=[number], body=text, from_number=did)
        except HomeAssistantError as err:  # opted out, refused by Flowroute, expired
            LOGGER.info("No keyword reply to %s: %s", format_number(number), err)

    async def _async_download_and_publish(
        self, downloader: MediaDownloader, message: InboundMessage, keyword: Keyword | None
    ) -> None:
        try:
            media = await downloader.async_download(message)
        except asyncio.CancelledError:
            # Unloading the entry (any options change reloads it) cut the download short;
            # the id is already answered and remembered, so this is the text's last chance.
            self._publish(message, remote_media(message), keyword)
            raise
        except (aiohttp.ClientError, OSError, ValueError) as err:
            # The downloader handles its own failures; this only keeps the message from
            # being lost if one escapes: the event still fires with the remote URLs.
            LOGGER.warning("Could not download the media of %s: %s", message.message_id, err)
            media = remote_media(message)
        self._publish(message, media, keyword)

    @callback
    def _publish(
        self, message: InboundMessage, media: tuple[ReceivedMedia, ...], keyword: Keyword | None
    ) -> None:
        received = ReceivedMessage(
            config_entry_id=self._entry.entry_id,
            message_id=message.message_id,
            from_number=message.from_number,
            to_number=message.to_number,
            body=message.body,
            is_mms=message.is_mms,
            media=media,
            timestamp=message.timestamp or dt_util.utcnow(),
            keyword=keyword,
        )
        self._hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, received.as_event_data())
        async_dispatcher_send(self._hass, self._signals[received.to_number], received)


def _is_north_american(number: str) -> bool:
    """Whether a canonical number is in the North American Numbering Plan (+1)."""
    return len(number) == 11 and number.startswith("1")  # noqa: PLR2004 - 1 + ten digits

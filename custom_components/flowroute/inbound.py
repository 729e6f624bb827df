"""Inbound messages: decide what a parsed message is for, then publish it.

A text is published at once, inside the webhook request. An MMS with media is published
after its media is downloaded (the links Flowroute sends expire), in a background task of
the entry so that unloading the entry cancels it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import aiohttp
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .const import (
    CONF_DOWNLOAD_MEDIA,
    CONF_NUMBERS,
    EVENT_MESSAGE_RECEIVED,
    LOGGER,
    SIGNAL_MESSAGE_RECEIVED,
)
from .keywords import classify_keyword
from .messages import ReceivedMedia, ReceivedMessage

if TYPE_CHECKING:
    from .api import InboundMessage
    from .data import FlowrouteConfigEntry


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


class InboundPipeline:
    """Turn the entry's inbound messages into events and dispatcher signals."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FlowrouteConfigEntry,
        downloader: MediaDownloader | None,
    ) -> None:
        """Publish for `entry`; `downloader` is None when media is never downloaded."""
        self._hass = hass
        self._entry = entry
        self._downloader = downloader
        self._numbers = frozenset(entry.data[CONF_NUMBERS])
        self._signal = SIGNAL_MESSAGE_RECEIVED.format(entry_id=entry.entry_id)

    @callback
    def async_handle(self, message: InboundMessage) -> None:
        """Publish the message now, or once its media is downloaded."""
        if message.to_number.removeprefix("+") not in self._numbers:
            # Another system's number sharing the callback URL: not ours to publish.
            LOGGER.debug("Ignoring message %s to a number of no entry", message.message_id)
            return
        if (
            message.media
            and self._downloader is not None
            and self._entry.options.get(CONF_DOWNLOAD_MEDIA, True)
        ):
            self._entry.async_create_background_task(
                self._hass,
                self._async_download_and_publish(self._downloader, message),
                name=f"flowroute inbound media {message.message_id}",
            )
            return
        self._publish(message, remote_media(message))

    async def _async_download_and_publish(
        self, downloader: MediaDownloader, message: InboundMessage
    ) -> None:
        try:
            media = await downloader.async_download(message)
        except (aiohttp.ClientError, OSError, ValueError) as err:
            # The downloader handles its own failures; this only keeps the message from
            # being lost if one escapes: the event still fires with the remote URLs.
            LOGGER.warning("Could not download the media of %s: %s", message.message_id, err)
            media = remote_media(message)
        self._publish(message, media)

    @callback
    def _publish(self, message: InboundMessage, media: tuple[ReceivedMedia, ...]) -> None:
        received = ReceivedMessage(
            config_entry_id=self._entry.entry_id,
            message_id=message.message_id,
            from_number=message.from_number,
            to_number=message.to_number.removeprefix("+"),
            body=message.body,
            is_mms=message.is_mms,
            media=media,
            timestamp=message.timestamp or dt_util.utcnow(),
            keyword=classify_keyword(message.body),
        )
        self._hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, received.as_event_data())
        async_dispatcher_send(self._hass, self._signal, received)

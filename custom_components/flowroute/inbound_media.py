"""Inbound MMS media: save it under caps when it arrives, find it again, serve it.

Flowroute's inbound media URLs are temporary, so the pictures of an MMS are saved to
`<local media dir>/flowroute/<entry_id>/<YYYY-MM-DD>/<message_id>-<n>-<name>.<ext>`
(UTC day of the download). Two caps bound the disk use: one per item and one per entry
and UTC day, counted in a small store so that a restart does not reset the day. Failed or
refused downloads keep the remote URL: the event still tells where the media was.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import unicodedata
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import aiohttp
from aiohttp import web
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from .const import (
    CONF_DOWNLOAD_MEDIA,
    CONF_MEDIA_MAX_DAY_MB,
    CONF_MEDIA_MAX_ITEM_MB,
    DEFAULT_MEDIA_MAX_DAY_MB,
    DEFAULT_MEDIA_MAX_ITEM_MB,
    DOMAIN,
    LOGGER,
)
from .messages import ReceivedMedia
from .storage import INBOUND_MEDIA, entry_store

if TYPE_CHECKING:
    from homeassistant.helpers.storage import Store

    from .api import InboundMessage, MediaItem
    from .data import FlowrouteConfigEntry

BYTES_PER_MB: Final = 1_000_000
MEDIA_SUBDIR: Final = "flowroute"
VIEW_URL: Final = "/api/flowroute/inbound_media/{entry_id}/{day}/{file_name}"
DOWNLOAD_TIMEOUT: Final = 120.0
_CHUNK: Final = 64 * 1024
_MAX_STEM: Final = 60
_MAX_ID: Final = 80

# Identifier parts: what this module writes, and nothing a path could escape with.
_ENTRY_ID_RE: Final = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_DAY_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FILE_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_UNSAFE_RE: Final = re.compile(r"[^A-Za-z0-9._-]+")

# The carrier's presentation layout: not something the sender sent, never published.
_LAYOUT_TYPES: Final = frozenset({"application/smil", "application/smil+xml"})
# Types a browser would run on Home Assistant's origin: never saved under their extension.
_ACTIVE_TYPES: Final = frozenset(
    {
        "image/svg+xml",
        "text/html",
        "application/xhtml+xml",
        "application/xml",
        "text/xml",
        "text/javascript",
        "application/javascript",
    }
)
# Types Flowroute documents that Python's table may not know, both ways.
_EXTENSIONS: Final = {
    "audio/amr": ".amr",
    "audio/ac3": ".ac3",
    "audio/midi": ".mid",
    "audio/mid": ".mid",
    "image/jpg": ".jpg",
    "video/3gpp": ".3gp",
    "video/avi": ".avi",
}
_TYPES: Final = {
    ".amr": "audio/amr",
    ".ac3": "audio/ac3",
    ".mid": "audio/midi",
    ".3gp": "video/3gpp",
}
_INLINE_PREFIXES: Final = ("image/", "audio/", "video/")
_DATA_VIEW: HassKey[bool] = HassKey(f"{DOMAIN}_inbound_media_view")


class _DownloadError(Exception):
    """Why one item was not saved (safe to log: never holds the URL)."""


def media_root(hass: HomeAssistant) -> Path:
    """Return the folder every entry's inbound media lives under."""
    base = hass.config.media_dirs.get("local") or hass.config.path("media")
    return Path(base) / MEDIA_SUBDIR


def media_content_id(entry_id: str, relative_path: str) -> str:
    """Return the media-source id of a saved file (`relative_path`: day/file)."""
    return f"media-source://{DOMAIN}/{entry_id}/{relative_path}"


def view_url(entry_id: str, day: str, file_name: str) -> str:
    """Return the (authenticated) path the frontend fetches a saved file from."""
    return VIEW_URL.format(entry_id=entry_id, day=day, file_name=file_name)


def guess_mime_type(file_name: str) -> str:
    """Return the type of a saved file from the extension this module gave it."""
    suffix = Path(file_name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(file_name)[0] or "application/octet-stream"


def is_inline_type(mime_type: str) -> bool:
    """Whether a browser may show the type inline (media, but nothing that runs)."""
    return mime_type.startswith(_INLINE_PREFIXES) and mime_type not in _ACTIVE_TYPES


def safe_file_name(message_id: str, index: int, file_name: str | None, mime_type: str) -> str:
    """Build `<message_id>-<n>-<stem><ext>` from untrusted parts; the type sets the extension."""
    prefix = _clean(message_id, _MAX_ID, "message")
    return f"{prefix}-{index}-{_stem(file_name)}{_extension(mime_type)}"


def _clean(value: str, limit: int, fallback: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return _UNSAFE_RE.sub("_", ascii_only)[:limit].strip("._-") or fallback


def _stem(file_name: str | None) -> str:
    base = re.split(r"[\\/]", file_name or "")[-1]
    stem, dot, _ = base.rpartition(".")
    return _clean(stem if dot and stem else base, _MAX_STEM, "media")


def _extension(mime_type: str) -> str:
    if mime_type in _ACTIVE_TYPES:
        return ".bin"
    return (
        _EXTENSIONS.get(mime_type) or mimetypes.guess_extension(mime_type, strict=False) or ".bin"
    )


def _mime(value: str | None) -> str | None:
    """Return the bare, lower-case type of a Content-Type value."""
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def _redacted(url: str) -> str:
    """Drop credentials, query and fragment: temporary URLs carry their token there."""
    try:
        parsed = URL(url)
    except ValueError:
        return "<invalid URL>"
    return str(parsed.with_user(None).with_query(None).with_fragment(None))


def _is_layout(item: MediaItem) -> bool:
    return _mime(item.mime_type) in _LAYOUT_TYPES


def _is_text(item: MediaItem) -> bool:
    return _mime(item.mime_type) == "text/plain"


def remote_media(message: InboundMessage) -> tuple[ReceivedMedia, ...]:
    """Return the parts as published when nothing is saved (SMIL layout left out)."""
    return tuple(_remote(item) for item in message.media if not _is_layout(item))


def _remote(item: MediaItem) -> ReceivedMedia:
    return ReceivedMedia(
        url=item.url, mime_type=item.mime_type, file_name=item.file_name, file_size=item.file_size
    )


class _DailyUsage:
    """Bytes saved per UTC day for one entry, kept in a store across restarts."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._store: Store[dict[str, Any]] = entry_store(hass, entry_id, INBOUND_MEDIA, 1)
        self._day = ""
        self._used = 0
        self._loaded = False
        self._lock = asyncio.Lock()

    async def async_load(self) -> None:
        async with self._lock:
            if self._loaded:
                return
            stored = await self._store.async_load() or {}
            day, used = stored.get("day"), stored.get("bytes")
            if isinstance(day, str) and isinstance(used, int):
                self._day, self._used = day, used
            self._loaded = True

    @property
    def used(self) -> int:
        """Bytes saved today (a new UTC day starts at zero)."""
        today = _today()
        if self._day != today:
            self._day, self._used = today, 0
        return self._used

    def add(self, size: int) -> None:
        _ = self.used  # roll over first
        self._used += size

    async def async_save(self) -> None:
        await self._store.async_save({"day": self._day, "bytes": self._used})


def _today() -> str:
    return dt_util.utcnow().date().isoformat()


class MediaDownloader:
    """Saves the media of an entry's inbound MMS, within the entry's caps."""

    def __init__(self, hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
        """Use Home Assistant's shared session; caps come from the entry's options."""
        self._hass = hass
        self._entry = entry
        self._session = async_get_clientsession(hass)
        self._usage = _DailyUsage(hass, entry.entry_id)

    @property
    def item_limit(self) -> int:
        """The per-item cap in bytes."""
        limit = self._entry.options.get(CONF_MEDIA_MAX_ITEM_MB, DEFAULT_MEDIA_MAX_ITEM_MB)
        return int(float(limit) * BYTES_PER_MB)

    @property
    def day_limit(self) -> int:
        """The per-day cap in bytes."""
        limit = self._entry.options.get(CONF_MEDIA_MAX_DAY_MB, DEFAULT_MEDIA_MAX_DAY_MB)
        return int(float(limit) * BYTES_PER_MB)

    async def async_download(self, message: InboundMessage) -> tuple[ReceivedMedia, ...]:
        """Save each media part; parts that fail or are refused keep only their URL.

        SMIL layout parts are dropped from the result; text parts are listed, not saved.
        With the download option off nothing is saved.
        """
        if not self._entry.options.get(CONF_DOWNLOAD_MEDIA, True):
            return remote_media(message)
        await self._usage.async_load()
        used_before = self._usage.used
        results: list[ReceivedMedia] = []
        parts = [item for item in message.media if not _is_layout(item)]
        for index, item in enumerate(parts, start=1):
            if _is_text(item):
                # The text of an MMS: Flowroute gives it as the body already.
                results.append(_remote(item))
            else:
                results.append(await self._async_save_item(message, index, item))
        if self._usage.used != used_before:
            await self._usage.async_save()
        return tuple(results)

    async def _async_save_item(
        self, message: InboundMessage, index: int, item: MediaItem
    ) -> ReceivedMedia:
        """Save one part; on any failure log why (never the URL's token) and keep the URL."""
        try:
            async with asyncio.timeout(DOWNLOAD_TIMEOUT):
                return await self._async_fetch(message, index, item)
        except _DownloadError as err:
            reason = str(err)
        except TimeoutError:
            reason = "timed out"
        except (aiohttp.ClientError, ValueError) as err:
            # The exception's text may hold the URL and its token: only its kind is logged.
            reason = f"request failed ({type(err).__name__})"
        except OSError as err:
            reason = f"could not write the file ({err.strerror or type(err).__name__})"
        LOGGER.warning(
            "Media %d of message %s from %s not saved: %s",
            index,
            message.message_id,
            _redacted(item.url),
            reason,
        )
        return _remote(item)

    async def _async_fetch(
        self, message: InboundMessage, index: int, item: MediaItem
    ) -> ReceivedMedia:
        day = _today()
        async with self._session.get(item.url) as response:
            if response.status != HTTPStatus.OK:
                raise _DownloadError(f"HTTP status {response.status}")
            mime_type = _mime(item.mime_type) or _mime(response.content_type)
            name = safe_file_name(
                message.message_id, index, item.file_name, mime_type or "application/octet-stream"
            )
            target = media_root(self._hass) / self._entry.entry_id / day / name
            size = await self._async_stream(response, target)
        return ReceivedMedia(
            url=item.url,
            mime_type=mime_type,
            file_name=item.file_name,
            file_size=size,
            local_path=str(target),
            media_content_id=media_content_id(self._entry.entry_id, f"{day}/{name}"),
        )

    async def _async_stream(self, response: aiohttp.ClientResponse, target: Path) -> int:
        """Write the body to `target` under both caps; leave nothing behind on failure."""
        if (declared := response.content_length) is not None:
            self._check_caps(declared, declared)
        partial = target.with_name(target.name + ".part")
        handle = await self._hass.async_add_executor_job(_open_new, partial)
        size = 0
        try:
            async for chunk in response.content.iter_chunked(_CHUNK):
                self._check_caps(size + len(chunk), len(chunk))
                # Counted as it streams, so concurrent downloads share the day's cap.
                self._usage.add(len(chunk))
                size += len(chunk)
                await self._hass.async_add_executor_job(handle.write, chunk)
            await self._hass.async_add_executor_job(_finish, handle, partial, target)
        except BaseException:
            # Nothing is kept, so nothing counts against the day.
            self._usage.add(-size)
            await self._hass.async_add_executor_job(_discard, handle, partial)
            raise
        return size

    def _check_caps(self, item_size: int, adding: int) -> None:
        """Raise unless an item of `item_size` fits and `adding` more bytes fit in the day."""
        item_limit, day_limit = self.item_limit, self.day_limit
        if item_size > item_limit:
            raise _DownloadError(
                f"{item_size / BYTES_PER_MB:.1f} MB is over the per-item limit "
                f"of {item_limit / BYTES_PER_MB:g} MB"
            )
        if self._usage.used + adding > day_limit:
            raise _DownloadError(f"the daily limit of {day_limit / BYTES_PER_MB:g} MB is reached")


def _open_new(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("wb")


def _finish(handle: BinaryIO, partial: Path, target: Path) -> None:
    handle.close()
    partial.replace(target)


def _discard(handle: BinaryIO, partial: Path) -> None:
    handle.close()
    partial.unlink(missing_ok=True)


def locate(root: Path, entry_id: str, day: str, file_name: str) -> Path | None:
    """Return a saved file's path, or None unless it is a regular file inside `root`.

    Blocking (resolves symlinks and stats): run it in the executor.
    """
    if not (
        _ENTRY_ID_RE.match(entry_id) and _DAY_RE.match(day) and _FILE_RE.match(file_name)
    ) or file_name.endswith(".part"):
        return None
    base = root.resolve()
    path = (base / entry_id / day / file_name).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


def is_valid_part(kind: str, value: str) -> bool:
    """Whether an identifier part (entry, day or file) has the shape this module writes."""
    pattern = {"entry": _ENTRY_ID_RE, "day": _DAY_RE, "file": _FILE_RE}[kind]
    return pattern.match(value) is not None


class InboundMediaView(HomeAssistantView):
    """Serves saved inbound media to signed-in users (media-source resolves to here)."""

    url = VIEW_URL
    name = "api:flowroute:inbound_media"
    requires_auth = True

    def __init__(self, hass: HomeAssistant) -> None:
        """Serve from the media folder of this Home Assistant."""
        self._hass = hass

    async def get(
        self, request: web.Request, entry_id: str, day: str, file_name: str
    ) -> web.StreamResponse:
        """Return the file; 404 for anything that is not one of the saved files."""
        path = await self._hass.async_add_executor_job(
            locate, media_root(self._hass), entry_id, day, file_name
        )
        if path is None:
            raise web.HTTPNotFound
        mime_type = guess_mime_type(path.name)
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, max-age=3600",
        }
        if not is_inline_type(mime_type):
            # Sent by strangers: anything but plain media is a download, never a page.
            mime_type = "application/octet-stream"
            headers["Content-Disposition"] = "attachment"
        headers["Content-Type"] = mime_type
        return web.FileResponse(path, headers=headers)


@callback
def async_register_view(hass: HomeAssistant) -> None:
    """Register the view that serves saved media (from async_setup; later calls do nothing)."""
    if hass.data.get(_DATA_VIEW):
        return
    hass.http.register_view(InboundMediaView(hass))
    hass.data[_DATA_VIEW] = True

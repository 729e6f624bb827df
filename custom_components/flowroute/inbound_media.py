"""Inbound MMS media: save it under caps when it arrives, find it again, serve it.

Flowroute's inbound media URLs are temporary, so the pictures of an MMS are saved to
`<local media dir>/flowroute/<entry_id>/<YYYY-MM-DD>/<id>-<hash>-<n>-<name>.<ext>` (UTC day
of the download; `<hash>`: the first 8 hex digits of the SHA-256 of the raw message id, so
two ids that clean to the same text never share a name). Anyone who knows the webhook URL
can post an MMS, so the URLs are fetched through safe_fetch (https, public addresses, the
API's own origin trusted), on a small session of the entry's own, a few at a time. The
disk use is bounded per item, and per entry and UTC day in bytes (each file counts at
least MIN_FILE_BYTES) and in files, counted in a small store so that a restart does not
reset the day; day folders older than the retention option are deleted a minute after
setup and then once a day. Failed or refused downloads keep the remote URL: the event still
tells where the media was. Whether to download at all is the entry's choice (its download
option): a downloader saves whatever it is given.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import aiohttp
from aiohttp import web
from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE
from homeassistant.core import Event, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.ssl import get_default_context
from yarl import URL

from .api import DEFAULT_BASE_URL
from .const import (
    CONF_BASE_URL,
    CONF_MEDIA_MAX_DAY_MB,
    CONF_MEDIA_MAX_ITEM_MB,
    CONF_MEDIA_RETENTION_DAYS,
    DEFAULT_MEDIA_MAX_DAY_MB,
    DEFAULT_MEDIA_MAX_ITEM_MB,
    DEFAULT_MEDIA_RETENTION_DAYS,
    DOMAIN,
    LOGGER,
)
from .media_types import (
    UNKNOWN_TYPE,
    bare_mime_type,
    extension,
    guess_mime_type,
    is_inline_type,
)
from .messages import ReceivedMedia
from .safe_fetch import GuardedSession, RefusedError
from .storage import INBOUND_MEDIA, entry_store

if TYPE_CHECKING:
    from homeassistant.helpers.storage import Store

    from .api import InboundMessage, MediaItem
    from .data import FlowrouteConfigEntry

BYTES_PER_MB: Final = 1_000_000
MEDIA_SUBDIR: Final = "flowroute"
VIEW_URL: Final = "/api/flowroute/inbound_media/{entry_id}/{day}/{file_name}"
DOWNLOAD_TIMEOUT: Final = 120.0  # per item, the wait for a free download slot included
# An empty file still costs a file and a folder entry: every file counts at least this.
MIN_FILE_BYTES: Final = 16_000
MAX_FILES_PER_DAY: Final = 500  # per entry and UTC day
# The entry's own session (never Home Assistant's shared one): a flood of MMS waits here.
PARALLEL_DOWNLOADS: Final = 4
CONNECTIONS: Final = 4
CONNECTIONS_PER_HOST: Final = 2
RETENTION_CHECK_INTERVAL: Final = timedelta(days=1)
RETENTION_FIRST_CHECK: Final = timedelta(minutes=1)  # after setup
_CHUNK: Final = 64 * 1024
_MAX_STEM: Final = 60
_MAX_ID: Final = 80
_ID_HASH_DIGITS: Final = 8
_MAX_NAME_TRIES: Final = 100

# Identifier parts: what this module writes, and nothing a path could escape with.
_ENTRY_ID_RE: Final = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_DAY_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FILE_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_UNSAFE_RE: Final = re.compile(r"[^A-Za-z0-9._-]+")

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


def safe_file_name(
    message_id: str, index: int, file_name: str | None, mime_type: str | None
) -> str:
    """Build `<id>-<hash>-<n>-<stem><ext>` from untrusted parts; the type sets the extension."""
    prefix = _clean(message_id, _MAX_ID, "message")
    digest = hashlib.sha256(message_id.encode()).hexdigest()[:_ID_HASH_DIGITS]
    return f"{prefix}-{digest}-{index}-{_stem(file_name)}{extension(mime_type)}"


def _clean(value: str, limit: int, fallback: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return _UNSAFE_RE.sub("_", ascii_only)[:limit].strip("._-") or fallback


def _stem(file_name: str | None) -> str:
    base = re.split(r"[\\/]", file_name or "")[-1]
    stem, dot, _ = base.rpartition(".")
    return _clean(stem if dot and stem else base, _MAX_STEM, "media")


def _redacted(url: str) -> str:
    """Drop credentials, query and fragment: temporary URLs carry their token there."""
    try:
        parsed = URL(url)
    except ValueError:
        return "<invalid URL>"
    return str(parsed.with_user(None).with_query(None).with_fragment(None))


def _is_text(item: MediaItem) -> bool:
    return bare_mime_type(item.mime_type) == "text/plain"


@dataclass(slots=True)
class _Reservation:
    """What one download counts against its day so far."""

    day: str
    size: int


class _DailyUsage:
    """Bytes and files saved per UTC day for one entry, kept in a store across restarts."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._store: Store[dict[str, Any]] = entry_store(hass, entry_id, INBOUND_MEDIA, 1)
        self._day = ""
        self._bytes = 0
        self._files = 0
        self._loaded = False
        self._lock = asyncio.Lock()
        self.dirty = False

    async def async_load(self) -> None:
        async with self._lock:
            if self._loaded:
                return
            stored = await self._store.async_load() or {}
            day, used, files = stored.get("day"), stored.get("bytes"), stored.get("files", 0)
            if isinstance(day, str) and isinstance(used, int) and isinstance(files, int):
                self._day, self._bytes, self._files = day, used, files
            self._loaded = True

    def _roll(self) -> None:
        """Start a new UTC day at zero."""
        today = _today()
        if self._day != today:
            self._day, self._bytes, self._files = today, 0, 0

    @property
    def bytes(self) -> int:
        """Bytes counted today."""
        self._roll()
        return self._bytes

    @property
    def files(self) -> int:
        """Files counted today."""
        self._roll()
        return self._files

    def reserve(self, size: int) -> _Reservation:
        """Count one more file of `size` bytes today."""
        self._roll()
        self._files += 1
        self._bytes += size
        self.dirty = True
        return _Reservation(self._day, size)

    def grow(self, reservation: _Reservation, size: int) -> None:
        """Count `size` bytes for the file instead of what it had reserved."""
        if reservation.day == self._day:
            self._bytes += size - reservation.size
            self.dirty = True
        reservation.size = size

    def release(self, reservation: _Reservation) -> None:
        """Forget a file that was not kept (a past day is left as it was)."""
        if reservation.day == self._day:
            self._files -= 1
            self._bytes -= reservation.size
            self.dirty = True

    async def async_save(self) -> None:
        self.dirty = False
        await self._store.async_save({"day": self._day, "bytes": self._bytes, "files": self._files})


def _today() -> str:
    return dt_util.utcnow().date().isoformat()


class MediaDownloader:
    """Saves the media of an entry's inbound MMS, within the entry's caps."""

    def __init__(self, hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
        """Fetch through a guarded session of the entry's own; caps come from its options.

        Use async_create: it also starts what the downloader runs for the entry.
        """
        self._hass = hass
        self._entry = entry
        self._session = GuardedSession(
            entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL),
            ssl_context=get_default_context(),
            limit=CONNECTIONS,
            limit_per_host=CONNECTIONS_PER_HOST,
        )
        self._slots = asyncio.Semaphore(PARALLEL_DOWNLOADS)
        self._usage = _DailyUsage(hass, entry.entry_id)

    @classmethod
    async def async_create(
        cls, hass: HomeAssistant, entry: FlowrouteConfigEntry
    ) -> MediaDownloader:
        """Return the entry's started downloader; unloading the entry stops it."""
        downloader = cls(hass, entry)
        await downloader.async_start()
        return downloader

    async def async_start(self) -> None:
        """Load today's usage, delete expired media now and daily; stop with the entry."""
        await self._usage.async_load()
        entry, hass = self._entry, self._hass
        entry.async_on_unload(self.async_close)
        # Entries are not unloaded when Home Assistant stops: close the session then too.
        entry.async_on_unload(
            hass.bus.async_listen(EVENT_HOMEASSISTANT_CLOSE, self._async_close_at_exit)
        )
        entry.async_on_unload(
            async_track_time_interval(
                hass,
                self._async_on_interval,
                RETENTION_CHECK_INTERVAL,
                name=f"{DOMAIN} media retention",
                cancel_on_shutdown=True,
            )
        )
        # The first check waits a little: start-up (and every reload) stays light.
        entry.async_on_unload(
            async_call_later(
                hass,
                RETENTION_FIRST_CHECK,
                HassJob(self._async_on_interval, cancel_on_shutdown=True),
            )
        )

    async def async_close(self) -> None:
        """Save what today's usage holds and close the session."""
        if self._usage.dirty:
            await self._usage.async_save()
        await self._session.close()

    async def _async_close_at_exit(self, _: Event) -> None:
        await self.async_close()

    @callback
    def _async_on_interval(self, _: datetime) -> None:
        self._async_start_deleting_expired()

    @callback
    def _async_start_deleting_expired(self) -> None:
        # An entry task, not a background one: unloading the entry waits for it to end.
        self._entry.async_create_task(
            self._hass,
            self.async_delete_expired(),
            f"{DOMAIN} media retention {self._entry.entry_id}",
        )

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

    @property
    def retention_days(self) -> int:
        """Days a day folder is kept after its day (0: forever)."""
        days = self._entry.options.get(CONF_MEDIA_RETENTION_DAYS, DEFAULT_MEDIA_RETENTION_DAYS)
        return int(days)

    async def async_delete_expired(self) -> None:
        """Delete the entry's day folders whose whole day is older than the retention."""
        days = self.retention_days
        if days <= 0:
            return
        oldest_kept = dt_util.utcnow().date() - timedelta(days=days)
        folder = media_root(self._hass) / self._entry.entry_id
        deleted = await self._hass.async_add_executor_job(delete_days_before, folder, oldest_kept)
        if deleted:
            LOGGER.debug("Deleted %d days of received media older than %d days", deleted, days)

    async def async_download(self, message: InboundMessage) -> tuple[ReceivedMedia, ...]:
        """Save each media part; parts that fail or are refused keep only their URL.

        Text parts are listed, not saved (the parser has left out SMIL layout parts).
        """
        results: list[ReceivedMedia] = []
        for index, item in enumerate(message.media, start=1):
            if _is_text(item):
                # The text of an MMS: Flowroute gives it as the body already.
                results.append(ReceivedMedia.from_item(item))
            else:
                results.append(await self._async_save_item(message, index, item))
        if self._usage.dirty:
            await self._usage.async_save()
        return tuple(results)

    async def _async_save_item(
        self, message: InboundMessage, index: int, item: MediaItem
    ) -> ReceivedMedia:
        """Save one part; on any failure log why (never the URL's token) and keep the URL."""
        try:
            async with asyncio.timeout(DOWNLOAD_TIMEOUT), self._slots:
                return await self._async_fetch(message, index, item)
        except _DownloadError as err:
            reason = str(err)
        except RefusedError as err:
            reason = f"refused: {err}"
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
        return ReceivedMedia.from_item(item)

    async def _async_fetch(
        self, message: InboundMessage, index: int, item: MediaItem
    ) -> ReceivedMedia:
        day = _today()
        async with self._session.get(item.url) as response:
            if response.status != HTTPStatus.OK:
                raise _DownloadError(f"HTTP status {response.status}")
            mime_type = bare_mime_type(item.mime_type) or bare_mime_type(response.content_type)
            name = safe_file_name(message.message_id, index, item.file_name, mime_type)
            folder = media_root(self._hass) / self._entry.entry_id / day
            target, size = await self._async_stream(response, folder, name)
        return ReceivedMedia(
            url=item.url,
            mime_type=mime_type,
            file_name=item.file_name,
            file_size=size,
            local_path=str(target),
            media_content_id=media_content_id(self._entry.entry_id, f"{day}/{target.name}"),
        )

    async def _async_stream(
        self, response: aiohttp.ClientResponse, folder: Path, name: str
    ) -> tuple[Path, int]:
        """Write the body under `name` (or a free variant) in `folder`, under the caps.

        Returns the file and its size; leaves nothing behind on failure.
        """
        reservation = self._reserve(response.content_length)
        try:
            handle, partial = await self._hass.async_add_executor_job(_open_part, folder, name)
        except BaseException:
            self._usage.release(reservation)
            raise
        size = 0
        try:
            async for chunk in response.content.iter_chunked(_CHUNK):
                size += len(chunk)
                # Counted as it streams, so concurrent downloads share the day's cap.
                self._grow(reservation, size)
                await self._hass.async_add_executor_job(handle.write, chunk)
            target = await self._hass.async_add_executor_job(_finish, handle, partial, folder, name)
        except BaseException:
            # Nothing is kept, so nothing counts against the day.
            self._usage.release(reservation)
            await self._hass.async_add_executor_job(_discard, handle, partial)
            raise
        return target, size

    def _reserve(self, declared: int | None) -> _Reservation:
        """Count a new file (at least MIN_FILE_BYTES) today, or raise if a cap is reached."""
        if declared is not None:
            self._check_item(declared)
        if self._usage.files >= MAX_FILES_PER_DAY:
            raise _DownloadError(f"the daily limit of {MAX_FILES_PER_DAY} files is reached")
        charge = max(declared or 0, MIN_FILE_BYTES)
        self._check_day(charge)
        return self._usage.reserve(charge)

    def _grow(self, reservation: _Reservation, size: int) -> None:
        """Count a file that streamed to `size` bytes, or raise if a cap is passed."""
        self._check_item(size)
        if size > reservation.size:
            self._check_day(size - reservation.size)
            self._usage.grow(reservation, size)

    def _check_item(self, size: int) -> None:
        item_limit = self.item_limit
        if size > item_limit:
            raise _DownloadError(
                f"{size / BYTES_PER_MB:.1f} MB is over the per-item limit "
                f"of {item_limit / BYTES_PER_MB:g} MB"
            )

    def _check_day(self, adding: int) -> None:
        day_limit = self.day_limit
        if self._usage.bytes + adding > day_limit:
            raise _DownloadError(f"the daily limit of {day_limit / BYTES_PER_MB:g} MB is reached")


def _open_part(folder: Path, name: str) -> tuple[BinaryIO, Path]:
    """Create this download's own partial file (hidden from browsing and serving)."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{name}.{secrets.token_hex(8)}.part"
    return partial.open("xb"), partial


def _finish(handle: BinaryIO, partial: Path, folder: Path, name: str) -> Path:
    """Move the partial file to `name`, or a free variant: never over an existing file."""
    handle.close()
    stem, suffix = Path(name).stem, Path(name).suffix
    candidates = [name, *(f"{stem}-{n}{suffix}" for n in range(2, _MAX_NAME_TRIES + 1))]
    for candidate in candidates:
        target = folder / candidate
        try:
            # Claims the name: of two downloads that want it, only one gets it.
            target.open("xb").close()
        except FileExistsError:
            continue
        try:
            partial.replace(target)
        except OSError:
            target.unlink(missing_ok=True)
            raise
        return target
    partial.unlink(missing_ok=True)
    raise _DownloadError("no free file name")


def _discard(handle: BinaryIO, partial: Path) -> None:
    handle.close()
    partial.unlink(missing_ok=True)


def delete_days_before(folder: Path, oldest_kept: date) -> int:
    """Delete the day folders in `folder` dated before `oldest_kept`; return how many.

    Blocking: run it in the executor. Anything else in `folder` is left alone.
    """
    try:
        children = list(folder.iterdir())
    except FileNotFoundError:
        return 0
    except OSError as err:
        LOGGER.warning("Could not look for expired received media: %s", err.strerror or err)
        return 0
    deleted = 0
    for child in children:
        if not _DAY_RE.match(child.name) or child.is_symlink() or not child.is_dir():
            continue
        try:
            day = date.fromisoformat(child.name)
        except ValueError:
            continue
        if day >= oldest_kept:
            continue
        try:
            shutil.rmtree(child)
        except OSError as err:
            LOGGER.warning(
                "Could not delete received media of %s: %s", child.name, err.strerror or err
            )
            continue
        deleted += 1
    return deleted


def locate(root: Path, entry_id: str, day: str, file_name: str) -> Path | None:
    """Return a saved file's path, or None unless it is a regular file the downloader wrote.

    Blocking (resolves symlinks and stats): run it in the executor. The parts have the
    shapes this module writes (no separator, no leading dot), so the path stays inside
    `root`; nothing below `root` may be a symlink, as browsing shows none: a link is not
    one of the saved files, wherever it points.
    """
    if not (
        _ENTRY_ID_RE.match(entry_id) and _DAY_RE.match(day) and _FILE_RE.match(file_name)
    ) or file_name.endswith(".part"):
        return None
    path = root.resolve() / entry_id / day / file_name
    if path.resolve() != path or not path.is_file():
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
            mime_type = UNKNOWN_TYPE
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

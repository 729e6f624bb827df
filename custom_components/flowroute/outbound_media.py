"""Outbound MMS media: resolve what the user picked, enforce Flowroute's limits, host it.

Flowroute fetches MMS media from a public URL. Pictures that live inside Home Assistant
(camera snapshots, image entities, the media folder, allow-listed files) are stored under
`.storage/flowroute_media/` and served at an unguessable, short-lived URL on Home
Assistant's external (or Nabu Casa) URL. Files stay until Flowroute accepted the message
plus a grace period for its fetch, or until the retry horizon runs out; they survive a
restart because a queued message may still need them.
"""

from __future__ import annotations

import io
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from .const import DOMAIN, LOGGER
from .media_types import SUPPORTED_CONTENT_TYPES, UNKNOWN_TYPE, extension, guess_mime_type

if TYPE_CHECKING:
    from homeassistant.components.image import ImageEntity

# Flowroute: "Total MMS size limit about 750 kB including text; a file over 767,840 bytes
# is refused with 422." Stay under the documented total.
MMS_MAX_BYTES: Final = 750_000

_DOWNSCALABLE: Final = frozenset({"image/jpeg", "image/png", "image/bmp"})
# Downscaling lowers JPEG quality to this floor first, then shrinks the picture.
_START_QUALITY: Final = 85
_MIN_QUALITY: Final = 60
_MIN_SIDE: Final = 16

GRACE_AFTER_ACCEPTED: Final = timedelta(hours=1)
URL_PATH: Final = "/api/flowroute/media/{token}"
_TOKEN_RE: Final = re.compile(r"^[A-Za-z0-9_-]{43}$")
_STORAGE_DIR: Final = "flowroute_media"
# The extension of a program that answers the URL (a camera's snapshot.cgi, a chart.php)
# says how it is answered, not what: such a URL passes like one without an extension.
# (Python 3.14's own table reads .php as application/x-httpd-php; 3.13's does not.)
_PROGRAM_EXTENSIONS: Final = frozenset(
    {".php", ".cgi", ".fcgi", ".pl", ".py", ".rb", ".asp", ".aspx", ".ashx", ".jsp"}
)

DATA_MEDIA_HOST: HassKey[MediaHost] = HassKey(f"{DOMAIN}_media_host")


@dataclass(slots=True, frozen=True, kw_only=True)
class MediaFile:
    """Bytes ready to be sent as one MMS part."""

    content: bytes
    content_type: str
    file_name: str


@dataclass(slots=True, kw_only=True)
class _Hosted:
    content_type: str
    expires: float  # wall clock

    def as_dict(self) -> dict[str, Any]:
        return {"content_type": self.content_type, "expires": self.expires}


class MediaHost:
    """Serves stored media files at unguessable URLs until they expire."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Keep files in .storage/flowroute_media, their index in a Store."""
        self._hass = hass
        self._dir = Path(hass.config.path(".storage", _STORAGE_DIR))
        self._store: Store[dict[str, dict[str, Any]]] = Store(
            hass, 1, f"{DOMAIN}.media", private=True
        )
        self._files: dict[str, _Hosted] = {}

    async def async_load(self) -> None:
        """Load the index and delete what expired while Home Assistant was down."""
        stored = await self._store.async_load() or {}
        for token, item in stored.items():
            if _TOKEN_RE.match(token):
                self._files[token] = _Hosted(
                    content_type=str(item["content_type"]), expires=float(item["expires"])
                )
        await self.async_purge()

    async def async_add(self, media: MediaFile, lifetime: timedelta) -> str:
        """Store a file and return its token."""
        token = secrets.token_urlsafe(32)
        self._files[token] = _Hosted(
            content_type=media.content_type, expires=time.time() + lifetime.total_seconds()
        )
        await self._hass.async_add_executor_job(self._write, token, media.content)
        await self._store.async_save(self._index())
        await self.async_purge()
        return token

    @callback
    def async_expire_after(self, tokens: tuple[str, ...], delay: timedelta) -> None:
        """Shorten the life of files once Flowroute has what it needs."""
        deadline = time.time() + delay.total_seconds()
        for token in tokens:
            if (hosted := self._files.get(token)) is not None:
                hosted.expires = min(hosted.expires, deadline)
        self._store.async_delay_save(self._index, 5)

    async def async_purge(self) -> None:
        """Delete expired files."""
        now = time.time()
        expired = [token for token, hosted in self._files.items() if hosted.expires <= now]
        if not expired:
            return
        for token in expired:
            del self._files[token]
        await self._hass.async_add_executor_job(self._delete, expired)
        self._store.async_delay_save(self._index, 5)

    async def async_read(self, token: str) -> tuple[bytes, str] | None:
        """Return the content and type of a live file, or None."""
        hosted = self._files.get(token) if _TOKEN_RE.match(token) else None
        if hosted is None or hosted.expires <= time.time():
            return None
        content = await self._hass.async_add_executor_job(self._read, token)
        return None if content is None else (content, hosted.content_type)

    def _index(self) -> dict[str, dict[str, Any]]:
        return {token: hosted.as_dict() for token, hosted in self._files.items()}

    def _write(self, token: str, content: bytes) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        (self._dir / token).write_bytes(content)

    def _read(self, token: str) -> bytes | None:
        try:
            return (self._dir / token).read_bytes()
        except FileNotFoundError:
            return None

    def _delete(self, tokens: list[str]) -> None:
        for token in tokens:
            (self._dir / token).unlink(missing_ok=True)


class MediaView(HomeAssistantView):
    """Unauthenticated: Flowroute fetches from here; the token is the secret."""

    url = URL_PATH
    name = "api:flowroute:media"
    requires_auth = False

    def __init__(self, host: MediaHost) -> None:
        """Serve from the given host."""
        self._host = host

    async def get(self, request: web.Request, token: str) -> web.Response:
        """Return the file, or 404 for unknown and expired tokens alike."""
        found = await self._host.async_read(token)
        if found is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        content, content_type = found
        return web.Response(
            body=content,
            content_type=content_type,
            # Served on Home Assistant's origin to anyone with the link: never as a page.
            headers={
                "Cache-Control": "no-store",
                "X-Robots-Tag": "noindex",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox",
            },
        )


async def async_setup_media(hass: HomeAssistant) -> None:
    """Create the media host and register its view (once, from async_setup)."""
    host = MediaHost(hass)
    await host.async_load()
    hass.data[DATA_MEDIA_HOST] = host
    hass.http.register_view(MediaView(host))


def public_base_url(hass: HomeAssistant) -> str:
    """Return the URL Flowroute can fetch from, or raise a translated error."""
    try:
        return get_url(hass, allow_internal=False, allow_ip=True, prefer_cloud=True)
    except NoURLAvailableError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_external_url"
        ) from err


async def async_host_media(
    hass: HomeAssistant, files: list[MediaFile], lifetime: timedelta
) -> tuple[list[str], tuple[str, ...]]:
    """Host files; return their public URLs and tokens."""
    base = public_base_url(hass)
    host = hass.data[DATA_MEDIA_HOST]
    urls: list[str] = []
    tokens: list[str] = []
    for media in files:
        token = await host.async_add(media, lifetime)
        tokens.append(token)
        urls.append(base.rstrip("/") + URL_PATH.format(token=token))
    return urls, tuple(tokens)


async def async_resolve_media(hass: HomeAssistant, item: str | dict[str, Any]) -> MediaFile:
    """Turn a media selector value, entity id, media-source id or allowed path into bytes."""
    if isinstance(item, dict):
        entity_id = item.get("entity_id")
        content_id = str(item.get("media_content_id") or "")
        target = str(entity_id) if entity_id else content_id
    else:
        target = item.strip()
    if target.startswith("camera."):
        return await _camera_snapshot(hass, target)
    if target.startswith("image."):
        return await _image_entity(hass, target)
    if target.startswith("media-source://camera/"):
        return await _camera_snapshot(hass, target.removeprefix("media-source://camera/"))
    if target.startswith("media-source://image/"):
        return await _image_entity(hass, target.removeprefix("media-source://image/"))
    if target.startswith("media-source://media_source/"):
        return await _local_media(hass, target.removeprefix("media-source://media_source/"))
    if target.startswith("/"):
        return await _allowed_file(hass, Path(target))
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unsupported_media",
        translation_placeholders={"media": target},
    )


async def _camera_snapshot(hass: HomeAssistant, entity_id: str) -> MediaFile:
    # Imported here: the camera integration's requirements exist once a camera is set up.
    from homeassistant.components import camera  # noqa: PLC0415

    try:
        image = await camera.async_get_image(hass, entity_id)
    except HomeAssistantError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="media_unavailable",
            translation_placeholders={"media": entity_id, "error": str(err)},
        ) from err
    return MediaFile(
        content=image.content,
        content_type=image.content_type,
        file_name=f"{entity_id.split('.', 1)[1]}{extension(image.content_type)}",
    )


async def _image_entity(hass: HomeAssistant, entity_id: str) -> MediaFile:
    component = hass.data.get("image")
    entity: ImageEntity | None = component.get_entity(entity_id) if component else None
    content = await entity.async_image() if entity is not None else None
    if entity is None or content is None:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="media_unavailable",
            translation_placeholders={"media": entity_id, "error": "no image"},
        )
    content_type = entity.content_type
    return MediaFile(
        content=content,
        content_type=content_type,
        file_name=f"{entity_id.split('.', 1)[1]}{extension(content_type)}",
    )


async def _local_media(hass: HomeAssistant, identifier: str) -> MediaFile:
    source_dir, _, location = identifier.partition("/")
    base = hass.config.media_dirs.get(source_dir)
    if base is None or not location:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unsupported_media",
            translation_placeholders={"media": identifier},
        )
    root, path = await hass.async_add_executor_job(_resolve_inside, Path(base), location)
    if not path.is_relative_to(root):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="media_not_allowed",
            translation_placeholders={"media": identifier},
        )
    return await _read_file(hass, path)


async def _allowed_file(hass: HomeAssistant, path: Path) -> MediaFile:
    allowed = await hass.async_add_executor_job(hass.config.is_allowed_path, str(path))
    if not allowed:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="media_not_allowed",
            translation_placeholders={"media": str(path)},
        )
    return await _read_file(hass, path)


async def _read_file(hass: HomeAssistant, path: Path) -> MediaFile:
    try:
        content = await hass.async_add_executor_job(path.read_bytes)
    except OSError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="media_unavailable",
            translation_placeholders={"media": path.name, "error": err.strerror or str(err)},
        ) from err
    return MediaFile(content=content, content_type=guess_mime_type(path.name), file_name=path.name)


def _resolve_inside(base: Path, location: str) -> tuple[Path, Path]:
    """Resolve symlinks and '..' so the caller can check the file stays inside base."""
    root = base.resolve()
    return root, (root / location).resolve()


def check_media_urls(urls: list[str]) -> None:
    """Refuse a public media URL whose name says a type Flowroute does not send.

    A URL without a known extension passes: Flowroute fetches it and decides.
    """
    for url in urls:
        name = URL(url).name
        if "." not in name or PurePath(name).suffix.lower() in _PROGRAM_EXTENSIONS:
            continue
        content_type = guess_mime_type(name)
        if content_type != UNKNOWN_TYPE and content_type not in SUPPORTED_CONTENT_TYPES:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unsupported_media_type",
                translation_placeholders={"media": name, "content_type": content_type},
            )


async def async_fit_media(
    hass: HomeAssistant, files: list[MediaFile], text: str
) -> list[MediaFile]:
    """Check types and the MMS size limit; downscale pictures that are too large."""
    for media in files:
        if media.content_type not in SUPPORTED_CONTENT_TYPES:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unsupported_media_type",
                translation_placeholders={
                    "media": media.file_name,
                    "content_type": media.content_type,
                },
            )
    budget = MMS_MAX_BYTES - len(text.encode())
    total = sum(len(media.content) for media in files)
    if total <= budget:
        return files
    # Shrink the pictures that can be shrunk, each to its share of the budget.
    fixed = sum(len(m.content) for m in files if m.content_type not in _DOWNSCALABLE)
    scalable = [m for m in files if m.content_type in _DOWNSCALABLE]
    share = (budget - fixed) // len(scalable) if scalable else 0
    if share <= 0:
        raise _too_large(total)
    fitted: list[MediaFile] = []
    for media in files:
        if media.content_type in _DOWNSCALABLE and len(media.content) > share:
            content = await hass.async_add_executor_job(_downscale, media.content, share)
            if content is None:
                raise _too_large(total)
            LOGGER.debug(
                "Downscaled %s from %d to %d bytes",
                media.file_name,
                len(media.content),
                len(content),
            )
            fitted.append(
                MediaFile(
                    content=content,
                    content_type="image/jpeg",
                    file_name=Path(media.file_name).with_suffix(".jpg").name,
                )
            )
        else:
            fitted.append(media)
    return fitted


def _too_large(total: int) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="media_too_large",
        translation_placeholders={
            "size": f"{total / 1000:.0f}",
            "limit": f"{MMS_MAX_BYTES / 1000:.0f}",
        },
    )


def _downscale(content: bytes, limit: int) -> bytes | None:
    """Re-encode as JPEG, shrinking until it fits; None when Pillow is missing or fails."""
    try:
        from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 - optional, heavy
    except ImportError:
        return None
    try:
        with Image.open(io.BytesIO(content)) as opened:
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError):
        return None
    quality = _START_QUALITY
    while image.width > _MIN_SIDE and image.height > _MIN_SIDE:
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality, optimize=True)
        if out.tell() <= limit:
            return out.getvalue()
        if quality > _MIN_QUALITY:
            quality -= 10
        else:
            image = image.resize((int(image.width * 0.75), int(image.height * 0.75)))
    return None

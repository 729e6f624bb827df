"""Browse saved inbound MMS media: Flowroute account -> day -> file.

Identifiers are `<entry_id>`, `<entry_id>/<YYYY-MM-DD>` and `<entry_id>/<day>/<file>`;
files resolve to Home Assistant's own authenticated view (the media player and frontend
sign the path). Every part is checked against what the downloader writes and the final
path must stay inside the media folder, so no identifier reaches another file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.media_player.const import MediaClass
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import (
    MEDIA_CLASS_MAP,
    MEDIA_MIME_TYPES,
    BrowseMediaSource,
    MediaSource,
    MediaSourceItem,
    PlayMedia,
    Unresolvable,
)

from .const import DOMAIN
from .inbound_media import is_valid_part, locate, media_root, view_url
from .media_types import guess_mime_type

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant


async def async_get_media_source(hass: HomeAssistant) -> FlowrouteMediaSource:
    """Return the Flowroute media source (called by the media_source integration)."""
    return FlowrouteMediaSource(hass)


class FlowrouteMediaSource(MediaSource):
    """Pictures, videos and sounds received by MMS."""

    name = "Flowroute"

    def __init__(self, hass: HomeAssistant) -> None:
        """Browse the media folder of this Home Assistant."""
        super().__init__(DOMAIN)
        self.hass = hass

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """Resolve a saved file to the URL of the view that serves it."""
        identifier = item.identifier or ""
        parts = identifier.split("/")
        path = None
        if len(parts) == 3 and self._entry_title(parts[0]) is not None:  # noqa: PLR2004
            entry_id, day, name = parts
            path = await self.hass.async_add_executor_job(
                locate, media_root(self.hass), entry_id, day, name
            )
        if path is None:
            raise Unresolvable(
                translation_domain=DOMAIN,
                translation_key="media_not_found",
                translation_placeholders={"media": identifier},
            )
        return PlayMedia(view_url(entry_id, day, path.name), guess_mime_type(path.name))

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        """Browse accounts, then days (newest first), then files (newest first)."""
        identifier = item.identifier or ""
        parts = identifier.split("/") if identifier else []
        if not parts:
            return self._root()
        title = self._entry_title(parts[0])
        valid = title is not None and (
            len(parts) == 1 or (len(parts) == 2 and is_valid_part("day", parts[1]))  # noqa: PLR2004
        )
        if not valid or title is None:
            raise BrowseError(
                translation_domain=DOMAIN,
                translation_key="media_not_found",
                translation_placeholders={"media": identifier},
            )
        if len(parts) == 1:
            return await self._async_entry(parts[0], title)
        return await self._async_day(parts[0], parts[1])

    def _entry_title(self, entry_id: str) -> str | None:
        entry = self.hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            return None
        return entry.title

    def _root(self) -> BrowseMediaSource:
        entries = self.hass.config_entries.async_entries(DOMAIN)
        return _directory(
            None,
            self.name or DOMAIN,
            [_directory(entry.entry_id, entry.title) for entry in entries],
        )

    async def _async_entry(self, entry_id: str, title: str) -> BrowseMediaSource:
        folder = media_root(self.hass) / entry_id
        days = await self.hass.async_add_executor_job(_list_days, folder)
        return _directory(entry_id, title, [_directory(f"{entry_id}/{day}", day) for day in days])

    async def _async_day(self, entry_id: str, day: str) -> BrowseMediaSource:
        folder = media_root(self.hass) / entry_id / day
        names = await self.hass.async_add_executor_job(_list_files, folder)
        return _directory(
            f"{entry_id}/{day}", day, [_file(f"{entry_id}/{day}/{name}", name) for name in names]
        )


def _directory(
    identifier: str | None, title: str, children: list[BrowseMediaSource] | None = None
) -> BrowseMediaSource:
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=identifier,
        media_class=MediaClass.DIRECTORY,
        media_content_type="",
        title=title,
        can_play=False,
        can_expand=True,
        children=children,
    )


def _file(identifier: str, name: str) -> BrowseMediaSource:
    mime_type = guess_mime_type(name)
    major = mime_type.split("/", 1)[0]
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=identifier,
        media_class=MEDIA_CLASS_MAP.get(major, MediaClass.URL),
        media_content_type=mime_type,
        title=name,
        can_play=major in MEDIA_MIME_TYPES,
        can_expand=False,
    )


def _list_days(folder: Path) -> list[str]:
    """Return the day folders, newest first (blocking)."""
    if not folder.is_dir():
        return []
    return sorted(
        (
            child.name
            for child in folder.iterdir()
            if is_valid_part("day", child.name) and child.is_dir() and not child.is_symlink()
        ),
        reverse=True,
    )


def _list_files(folder: Path) -> list[str]:
    """Return the saved files of a day, newest first (blocking)."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    files = [
        child
        for child in folder.iterdir()
        if is_valid_part("file", child.name)
        and not child.name.endswith(".part")
        and child.is_file()
        and not child.is_symlink()
    ]
    files.sort(key=lambda child: (child.stat().st_mtime, child.name), reverse=True)
    return [child.name for child in files]

"""What a config entry keeps in Home Assistant's .storage, and its removal with the entry.

Each part is one private Store named `flowroute.<entry_id>.<part>`; removing the entry
removes every part listed here (received media files stay: they are the user's).

Home Assistant's Store logs a failed write and carries on, and loads a file it cannot
parse as empty after renaming it. State that protects people cannot live with either:
EntryStore makes failed writes seen, FailClosedStore also refuses what it cannot read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.file import WriteError
from homeassistant.util.json import JSON_DECODE_EXCEPTIONS, SerializationError, json_loads

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

OUTBOX: Final = "outbox"
RECENT_IDS: Final = "recent_ids"
RECEIPTS: Final = "receipts"
OPT_OUTS: Final = "opt_outs"
INBOUND_MEDIA: Final = "inbound_media"
GUARDS: Final = "guards"
USAGE: Final = "usage"
CONVERSATIONS: Final = "conversations"
ENTRY_PARTS: Final = (
    OUTBOX,
    RECENT_IDS,
    RECEIPTS,
    OPT_OUTS,
    INBOUND_MEDIA,
    GUARDS,
    USAGE,
    CONVERSATIONS,
)
# A file moved aside is named `<key>.unreadable.<UTC time>` (no colons: Windows shares).
UNREADABLE_SUFFIX: Final = ".unreadable."


class StoreWriteError(Exception):
    """A part of an entry's data could not be written (disk full, read-only, not JSON)."""

    def __init__(self, key: str, error: Exception) -> None:
        """Keep the store's key and what went wrong."""
        super().__init__(f"{key} could not be saved: {error}")
        self.error = error


class StoreReadError(Exception):
    """A part of an entry's data exists but cannot be used; `reason` says why, for people."""

    def __init__(self, key: str, reason: str) -> None:
        """Keep the reason (it names no number and no message)."""
        super().__init__(f"{key} cannot be read: {reason}")
        self.reason = reason


class EntryStore[T: (Mapping[str, Any] | Sequence[Any])](Store[T]):
    """A private Store whose failed writes are seen, not only logged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Create the Store; no write has happened yet."""
        super().__init__(*args, **kwargs)
        self._writes = 0
        self._write_error: Exception | None = None

    async def _async_write_data(self, *args: Any) -> None:
        # Store catches and only logs what this raises: remember it. Overridden with *args
        # because the private signature differs: (path, data) in Home Assistant 2025.4,
        # (data) in newer releases.
        self._writes += 1
        try:
            await super()._async_write_data(*args)
        except (SerializationError, WriteError, OSError) as err:
            self._write_error = err
            raise
        self._write_error = None

    async def async_save_checked(self, data: T) -> None:
        """Save `data` now; raise StoreWriteError when it did not reach the disk.

        While Home Assistant stops, Store defers the write to its final write: that is
        not an error here.
        """
        writes = self._writes
        try:
            await self.async_save(data)
        except OSError as err:  # raised before Store's own handling (creating .storage)
            raise StoreWriteError(self.key, err) from err
        # Writes are serialised: the last one, ours or one that took our data, decides.
        if self._writes != writes and (error := self._write_error) is not None:
            raise StoreWriteError(self.key, error) from error


class FailClosedStore[T: (Mapping[str, Any] | Sequence[Any])](EntryStore[T]):
    """An EntryStore that raises on a file it cannot read and never moves it away.

    A file that does not exist loads as None. Anything else that is not the envelope
    Store writes ({"version", "minor_version", "key", "data"}) at this version raises
    StoreReadError, and the file stays where it is until `async_move_aside`.
    """

    async def _async_load_data(self) -> Any:
        # Store's own reader renames a file it cannot parse and returns None (an empty
        # list, for the opt-outs): read it here instead. Store.async_load still provides
        # the load lock and the semaphore, and serves a write still in memory.
        if (pending := self._data) is not None:
            if "data_func" in pending:
                return pending["data_func"]()
            envelope: Any = pending
        else:
            envelope = await self.hass.async_add_executor_job(_read_json, self.key, self.path)
            if envelope is None:
                return None
        return await self._async_unwrap(envelope)

    async def _async_unwrap(self, envelope: Any) -> Any:
        """Return the data of an envelope Store wrote at this (major) version."""
        if not isinstance(envelope, dict) or "data" not in envelope:
            raise StoreReadError(self.key, "it is not a Home Assistant storage file")
        version = envelope.get("version")
        minor_version = envelope.get("minor_version", 1)
        if type(version) is not int or type(minor_version) is not int:
            raise StoreReadError(self.key, "its storage version is missing or not a number")
        if version > self.version:
            raise StoreReadError(
                self.key,
                f"it was written by a newer version of the integration (storage version"
                f" {version}, this one reads {self.version})",
            )
        if version < self.version:
            # Every version so far is this one: an older one is not a file we wrote.
            raise StoreReadError(self.key, f"storage version {version} is not one it wrote")
        return envelope["data"]  # any minor version of this one stays readable

    async def async_move_aside(self) -> str | None:
        """Rename the file to `<path>.unreadable.<time>` (kept); return the new path."""
        stamp = dt_util.utcnow().strftime("%Y%m%dT%H%M%S%fZ")
        moved = f"{self.path}{UNREADABLE_SUFFIX}{stamp}"
        try:
            await self.hass.async_add_executor_job(os.replace, self.path, moved)
        except FileNotFoundError:
            return None
        return moved

    async def async_move_back(self, moved: str) -> None:
        """Undo `async_move_aside` (a save that was to replace the file failed)."""
        await self.hass.async_add_executor_job(os.replace, moved, self.path)


def _read_json(key: str, path: str) -> Any:
    """Read and parse a storage file (in the executor); None when there is none."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise StoreReadError(key, f"the file cannot be read ({err.strerror or err})") from err
    try:
        return json_loads(raw)
    except JSON_DECODE_EXCEPTIONS as err:
        raise StoreReadError(key, f"it is not valid JSON ({err})") from err


def entry_store(
    hass: HomeAssistant, entry_id: str, part: str, version: int, *, atomic_writes: bool = False
) -> EntryStore[Any]:
    """Return the private Store of one part of an entry's data."""
    return EntryStore(
        hass, version, _key(entry_id, part), private=True, atomic_writes=atomic_writes
    )


def fail_closed_store(
    hass: HomeAssistant, entry_id: str, part: str, version: int
) -> FailClosedStore[Any]:
    """Return the private, atomically written Store of a part that must fail closed."""
    return FailClosedStore(hass, version, _key(entry_id, part), private=True, atomic_writes=True)


async def async_remove_entry_stores(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every part an entry stored (the entry is being removed)."""
    for part in ENTRY_PARTS:
        # Removing needs only the key: the version is never read.
        await Store[Any](hass, 1, _key(entry_id, part)).async_remove()


def _key(entry_id: str, part: str) -> str:
    return f"{DOMAIN}.{entry_id}.{part}"

"""The media browser: saved inbound MMS media through the real media_source integration.

Files are saved by the real downloader from MMS the simulator receives; browsing and
resolving go through `homeassistant.components.media_source` and its websocket API, and
the resolved URL is fetched from Home Assistant's own (authenticated) view.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components import media_source
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flowroute.api import InboundMessage, parse_callback
from custom_components.flowroute.const import DOMAIN
from custom_components.flowroute.inbound_media import MediaDownloader
from simulator.core import InboundMedia
from simulator.payloads import inbound_document
from simulator.testing import RunningSimulator

from .conftest import DID_1

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import (
        ClientSessionGenerator,
        WebSocketGenerator,
    )

HANDSET = "12065550100"
PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 2_000
TODAY = "2026-11-02"
# translations/en.json, as Home Assistant words it (without the final period).
NOT_FOUND = "There is no received Flowroute media at {media}: it may have been deleted"


@pytest.fixture
def media_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Point the local media folder at a temporary directory."""
    folder = tmp_path / "media"
    hass.config.media_dirs = {"local": str(folder)}
    return folder


@pytest.fixture
async def loaded(
    hass: HomeAssistant, config_entry: MockConfigEntry, media_dir: Path
) -> MockConfigEntry:
    """The entry loaded, with the media_source integration set up first."""
    assert await async_setup_component(hass, "media_source", {})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def _name(message_id: str, rest: str) -> str:
    """The saved name: the id, 8 hex digits of its SHA-256, then `rest`."""
    return f"{message_id}-{hashlib.sha256(message_id.encode()).hexdigest()[:8]}-{rest}"


def _mms(sim: RunningSimulator, *media: InboundMedia) -> InboundMessage:
    """Receive an MMS in the simulator and parse the post Flowroute would make."""
    record = sim.inject_inbound(from_=HANDSET, to=DID_1, body="Look", media=media)
    parsed = parse_callback(inbound_document(record, "https://ha.invalid/api/webhook/x", sim.url))
    assert isinstance(parsed, InboundMessage)
    return parsed


async def _save(
    hass: HomeAssistant, entry: MockConfigEntry, sim: RunningSimulator, *media: InboundMedia
) -> tuple[InboundMessage, list[str]]:
    """Save an MMS's media with the real downloader; return it and the media-source ids."""
    message = _mms(sim, *media)
    downloader = await MediaDownloader.async_create(hass, entry)
    saved = await downloader.async_download(message)
    ids = [item.media_content_id for item in saved]
    assert None not in ids
    return message, [str(content_id) for content_id in ids]


def _ids(browsed: media_source.BrowseMediaSource) -> list[str]:
    return [child.media_content_id for child in browsed.children or []]


@pytest.fixture
async def saved(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> tuple[str, str]:
    """One saved picture; returns its media-source id and the message id."""
    message, [content_id] = await _save(
        hass, loaded, simulator, InboundMedia(content=PNG, file_name="door.png")
    )
    return content_id, message.message_id


# Browsing: accounts, days, files


@pytest.mark.freeze_time(f"{TODAY} 12:00:00+00:00")
async def test_browse_entries_days_files_and_resolve(
    hass: HomeAssistant, loaded: MockConfigEntry, saved: tuple[str, str]
) -> None:
    content_id, message_id = saved
    entry_id = loaded.entry_id

    root = await media_source.async_browse_media(hass, "media-source://flowroute")
    assert root.title == "Flowroute"
    assert [(c.title, c.media_content_id) for c in root.children or []] == [
        (loaded.title, f"media-source://flowroute/{entry_id}")
    ]
    entry = await media_source.async_browse_media(hass, f"media-source://flowroute/{entry_id}")
    assert [c.title for c in entry.children or []] == [TODAY]
    day = await media_source.async_browse_media(
        hass, f"media-source://flowroute/{entry_id}/{TODAY}"
    )
    [file] = day.children or []
    assert (file.title, file.media_content_id, file.can_play, file.media_class) == (
        _name(message_id, "1-door.png"),
        content_id,
        True,
        "image",
    )
    assert file.media_content_type == "image/png"

    resolved = await media_source.async_resolve_media(hass, content_id, None)
    assert resolved.mime_type == "image/png"
    door = _name(message_id, "1-door.png")
    assert resolved.url == f"/api/flowroute/inbound_media/{entry_id}/{TODAY}/{door}"

    # The root of all media sources lists Flowroute.
    everything = await media_source.async_browse_media(hass, None)
    assert "Flowroute" in [c.title for c in everything.children or []]


async def test_root_lists_every_flowroute_account_and_nothing_else(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    # An account that is not loaded (or failed to) still has its media on disk.
    second = MockConfigEntry(domain=DOMAIN, title="Flowroute shop", unique_id="87654321")
    second.add_to_hass(hass)
    MockConfigEntry(domain="ntfy", title="Not a Flowroute account").add_to_hass(hass)

    root = await media_source.async_browse_media(hass, "media-source://flowroute")
    assert [(c.title, c.media_content_id, c.can_expand) for c in root.children or []] == [
        (loaded.title, f"media-source://flowroute/{loaded.entry_id}", True),
        ("Flowroute shop", f"media-source://flowroute/{second.entry_id}", True),
    ]
    assert [c.media_class for c in root.children or []] == ["directory", "directory"]


async def test_browse_of_an_account_without_media_is_empty(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    entry = await media_source.async_browse_media(
        hass, f"media-source://flowroute/{loaded.entry_id}"
    )
    assert entry.children == []


async def test_days_and_files_are_newest_first_with_their_media_classes(
    hass: HomeAssistant,
    *,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    media_dir: Path,
    tmp_path: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry_id = loaded.entry_id
    for day in ("2026-10-30", "2026-11-01"):
        freezer.move_to(f"{day} 08:00:00+00:00")
        await _save(hass, loaded, simulator, InboundMedia(content=PNG, file_name="old.png"))
    freezer.move_to(f"{TODAY} 09:30:00+00:00")
    message, ids = await _save(
        hass,
        loaded,
        simulator,
        InboundMedia(content=PNG, mime_type="image/png", file_name="door.png"),
        InboundMedia(
            content=b"\x00\x00\x00\x18ftypmp42", mime_type="video/mp4", file_name="clip.mp4"
        ),
        InboundMedia(content=b"#!AMR\n" + b"a" * 100, mime_type="audio/amr", file_name="voice.amr"),
        InboundMedia(
            content=b"<svg onload=alert(1)>", mime_type="image/svg+xml", file_name="drawing.svg"
        ),
    )
    # Newest first by the time each file was written, not by name: make the last part
    # of the MMS the oldest file (the file system's clock is too coarse to rely on).
    day_dir = media_dir / "flowroute" / entry_id / TODAY
    for age, content_id in enumerate(ids):
        path = day_dir / content_id.rsplit("/", 1)[1]
        os.utime(path, (1_800_000_000 - age * 60, 1_800_000_000 - age * 60))
    # Neither a folder that is no day nor a linked day is listed.
    (media_dir / "flowroute" / entry_id / "notes").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (media_dir / "flowroute" / entry_id / "2026-11-03").symlink_to(tmp_path / "elsewhere")

    account = await media_source.async_browse_media(hass, f"media-source://flowroute/{entry_id}")
    assert [(c.title, c.media_class, c.can_expand) for c in account.children or []] == [
        (TODAY, "directory", True),
        ("2026-11-01", "directory", True),
        ("2026-10-30", "directory", True),
    ]
    day = await media_source.async_browse_media(
        hass, f"media-source://flowroute/{entry_id}/{TODAY}"
    )
    mid = message.message_id
    assert [
        (c.title, c.media_class, c.media_content_type, c.can_play, c.can_expand)
        for c in day.children or []
    ] == [
        (_name(mid, "1-door.png"), "image", "image/png", True, False),
        (_name(mid, "2-clip.mp4"), "video", "video/mp4", True, False),
        (_name(mid, "3-voice.amr"), "music", "audio/amr", True, False),
        # Never named or served as what a browser would run.
        (_name(mid, "4-drawing.bin"), "url", "application/octet-stream", False, False),
    ]
    assert _ids(day) == ids

    os.utime(day_dir / _name(mid, "4-drawing.bin"), (1_900_000_000, 1_900_000_000))
    day = await media_source.async_browse_media(
        hass, f"media-source://flowroute/{entry_id}/{TODAY}"
    )
    assert _ids(day) == [ids[3], *ids[:3]]


@pytest.mark.freeze_time(f"{TODAY} 12:00:00+00:00")
async def test_browse_hides_symlinks_and_partial_files(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    saved: tuple[str, str],
    media_dir: Path,
    tmp_path: Path,
) -> None:
    day_dir = media_dir / "flowroute" / loaded.entry_id / TODAY
    (tmp_path / "secret.png").write_bytes(PNG)
    (day_dir / "link.png").symlink_to(tmp_path / "secret.png")
    (day_dir / "x-1-a.png.part").write_bytes(b"partial")
    day = await media_source.async_browse_media(
        hass, f"media-source://flowroute/{loaded.entry_id}/{TODAY}"
    )
    assert [c.media_content_id for c in day.children or []] == [saved[0]]


@pytest.mark.parametrize(
    "identifier",
    [
        "{entry}/../x",
        "{entry}/not-a-day",
        "{entry}/2026-11-02T00",
        "not_an_entry",
        "{other_domain}",
        "{entry}/{day}/file",
        "{entry}/{day}/file/more",
    ],
)
async def test_browse_refuses_what_it_did_not_write(
    hass: HomeAssistant, loaded: MockConfigEntry, identifier: str
) -> None:
    other = MockConfigEntry(domain="ntfy")
    other.add_to_hass(hass)
    part = identifier.format(entry=loaded.entry_id, day=TODAY, other_domain=other.entry_id)
    content_id = "media-source://flowroute/" + part
    with pytest.raises(BrowseError) as err:
        await media_source.async_browse_media(hass, content_id)
    assert (err.value.translation_domain, err.value.translation_key) == (
        DOMAIN,
        "media_not_found",
    )
    assert err.value.translation_placeholders == {"media": part}


# Resolving: only the saved files


@pytest.mark.parametrize(
    "identifier",
    [
        "{entry}/../../secret.png",
        "{entry}/{day}/../../../secret.png",
        "{entry}/{day}/..",
        "{entry}/{day}/.hidden.png",
        "{entry}/..%2F..%2Fsecret.png/x",
        "{entry}/{day}/{name}.part",
        "{entry}/{day}/{name}/more",
        "{entry}/{day}",
        "{entry}",
        "not_an_entry/{day}/{name}",
        "{other_domain}/{day}/{name}",
        "{entry}/{day}/link.png",
        "{entry}/{day}/inside.png",
        "{entry}/2026-11-03/{name}",
        "{entry}/2026-13-45/{name}",
        "{entry}/{day}x/{name}",
        "{entry}/{day}/missing.png",
    ],
)
@pytest.mark.freeze_time(f"{TODAY} 12:00:00+00:00")
async def test_nothing_outside_resolves(
    hass: HomeAssistant,
    *,
    loaded: MockConfigEntry,
    saved: tuple[str, str],
    media_dir: Path,
    tmp_path: Path,
    identifier: str,
) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    entry_dir = media_dir / "flowroute" / loaded.entry_id
    day_dir = entry_dir / TODAY
    (day_dir / "link.png").symlink_to(secret)
    name = saved[0].rsplit("/", 1)[1]
    # Links that stay inside the media folder, even to a saved file, are no saved file.
    (day_dir / "inside.png").symlink_to(day_dir / name)
    (entry_dir / "2026-11-03").symlink_to(day_dir)
    # The same file under an entry of another integration is not Flowroute's to serve.
    other = MockConfigEntry(domain="ntfy")
    other.add_to_hass(hass)
    (media_dir / "flowroute" / other.entry_id / TODAY).mkdir(parents=True)
    (media_dir / "flowroute" / other.entry_id / TODAY / name).write_bytes(PNG)
    part = identifier.format(
        entry=loaded.entry_id, day=TODAY, name=name, other_domain=other.entry_id
    )
    content_id = "media-source://flowroute/" + part
    with pytest.raises(media_source.Unresolvable) as err:
        await media_source.async_resolve_media(hass, content_id, None)
    assert (err.value.translation_domain, err.value.translation_key) == (
        DOMAIN,
        "media_not_found",
    )
    assert err.value.translation_placeholders == {"media": part}


@pytest.mark.freeze_time(f"{TODAY} 12:00:00+00:00")
async def test_refusals_read_as_the_translated_error(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    saved: tuple[str, str],
    hass_ws_client: WebSocketGenerator,
) -> None:
    ws = await hass_ws_client(hass)
    missing = f"{loaded.entry_id}/{TODAY}/missing.png"
    await ws.send_json_auto_id(
        {
            "type": "media_source/resolve_media",
            "media_content_id": f"media-source://{DOMAIN}/{missing}",
        }
    )
    result: dict[str, Any] = await ws.receive_json()
    assert not result["success"]
    assert result["error"] == {
        "code": "resolve_media_failed",
        "message": NOT_FOUND.format(media=missing),
    }

    await ws.send_json_auto_id(
        {"type": "media_source/browse_media", "media_content_id": f"media-source://{DOMAIN}/x"}
    )
    result = await ws.receive_json()
    assert not result["success"]
    assert result["error"] == {
        "code": "browse_media_failed",
        "message": NOT_FOUND.format(media="x"),
    }


# Serving: Home Assistant's own view, to signed-in users only


@pytest.mark.freeze_time(f"{TODAY} 12:00:00+00:00")
async def test_view_serves_saved_media_to_signed_in_users(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    saved: tuple[str, str],
    media_dir: Path,
    hass_client: ClientSessionGenerator,
) -> None:
    resolved = await media_source.async_resolve_media(hass, saved[0], None)
    day_dir = media_dir / "flowroute" / loaded.entry_id / TODAY
    (day_dir / _name(saved[1], "2-page.bin")).write_bytes(b"<script>alert(1)</script>")
    client = await hass_client()

    response = await client.get(resolved.url)
    assert response.status == 200
    assert await response.read() == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert "Content-Disposition" not in response.headers

    # Anything that is not plain media is a download, never a page on Home Assistant's origin.
    response = await client.get(resolved.url.replace("-1-door.png", "-2-page.bin"))
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"] == "attachment"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"

    base = f"/api/flowroute/inbound_media/{loaded.entry_id}/{TODAY}"
    for path in (
        f"{base}/missing.png",
        f"{base}/%2e%2e",
        f"{base}/..%2F..%2F..%2Fsecret.png",
        f"/api/flowroute/inbound_media/{loaded.entry_id}/..%2F{TODAY}/x.png",
        f"/api/flowroute/inbound_media/..%2F..%2F/{TODAY}/x.png",
    ):
        response = await client.get(path)
        # 400: Home Assistant's security filter saw it first; 404: the view refused it.
        assert response.status in {400, 404}, path


@pytest.mark.freeze_time(f"{TODAY} 12:00:00+00:00")
async def test_view_serves_no_link_even_to_a_saved_file(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    saved: tuple[str, str],
    media_dir: Path,
    hass_client: ClientSessionGenerator,
) -> None:
    day_dir = media_dir / "flowroute" / loaded.entry_id / TODAY
    name = saved[0].rsplit("/", 1)[1]
    (day_dir / "inside.png").symlink_to(day_dir / name)
    client = await hass_client()
    base = f"/api/flowroute/inbound_media/{loaded.entry_id}/{TODAY}"
    assert (await client.get(f"{base}/{name}")).status == 200
    assert (await client.get(f"{base}/inside.png")).status == 404


@pytest.mark.freeze_time(f"{TODAY} 12:00:00+00:00")
async def test_view_needs_auth_and_the_resolved_url_is_signed(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    saved: tuple[str, str],
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id({"type": "media_source/resolve_media", "media_content_id": saved[0]})
    result = await ws.receive_json()
    assert result["success"], result
    signed = result["result"]["url"]
    assert "authSig=" in signed

    client = await hass_client_no_auth()
    response = await client.get(signed.split("?", 1)[0])
    assert response.status == 401
    response = await client.get(signed)
    assert response.status == 200
    assert await response.read() == PNG

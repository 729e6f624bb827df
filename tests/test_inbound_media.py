"""Inbound MMS media: saving under caps, and browsing/serving it through the media source."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.components import media_source
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flowroute import inbound_media
from custom_components.flowroute.api import InboundMessage, MediaItem, parse_callback
from custom_components.flowroute.const import (
    CONF_DOWNLOAD_MEDIA,
    CONF_MEDIA_MAX_DAY_MB,
    CONF_MEDIA_MAX_ITEM_MB,
)
from custom_components.flowroute.inbound_media import MediaDownloader, async_register_view
from custom_components.flowroute.storage import async_remove_entry_stores
from simulator.core import InboundMedia
from simulator.payloads import inbound_document
from simulator.testing import RunningSimulator

from .conftest import DID_1

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from freezegun.api import FrozenDateTimeFactory
    from pytest_homeassistant_custom_component.typing import (
        ClientSessionGenerator,
        WebSocketGenerator,
    )

HANDSET = "12065550100"
PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 2_000
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"v" * 3_000
TODAY = "2026-11-02"


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
    """The entry loaded, with media_source and the media view ready (before any client)."""
    assert await async_setup_component(hass, "media_source", {})
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    async_register_view(hass)
    return config_entry


async def _set_options(hass: HomeAssistant, entry: MockConfigEntry, **options: Any) -> None:
    # The downloader reads the options live; the entry reloads meanwhile (update listener).
    hass.config_entries.async_update_entry(entry, options={**entry.options, **options})
    await hass.async_block_till_done()


def _mms(sim: RunningSimulator, *media: InboundMedia, smil: bool = False) -> InboundMessage:
    """Receive an MMS in the simulator and parse the post Flowroute would make."""
    record = sim.inject_inbound(from_=HANDSET, to=DID_1, body="Look", media=media, smil=smil)
    parsed = parse_callback(inbound_document(record, "https://ha.invalid/api/webhook/x", sim.url))
    assert isinstance(parsed, InboundMessage)
    return parsed


def _with_url(message: InboundMessage, url: str) -> InboundMessage:
    return dataclasses.replace(message, media=(dataclasses.replace(message.media[0], url=url),))


def _bytes(path: Path | str) -> bytes:
    return Path(path).read_bytes()


def _put_a_file_where_the_folder_goes(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a folder")


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.mark.freeze_time(f"{TODAY} 18:22:41+00:00")
async def test_saves_media_under_the_day_and_skips_layout_and_text(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator, media_dir: Path
) -> None:
    message = _mms(
        simulator,
        InboundMedia(content=PNG, mime_type="image/png", file_name="IMG_0001.png"),
        InboundMedia(content=MP4, mime_type="video/mp4", file_name="clip.mov"),
        InboundMedia(content=b"Look at this", mime_type="text/plain", file_name="text.txt"),
        smil=True,
    )
    # The parser drops the SMIL layout part; one slipped in by hand is ignored too.
    assert len(message.media) == 3
    smil = MediaItem(url=f"{simulator.url}/sim/media/x", mime_type="application/smil")
    message = dataclasses.replace(message, media=(*message.media, smil))

    media = await MediaDownloader(hass, loaded).async_download(message)

    entry_id, mid = loaded.entry_id, message.message_id
    picture, video, text = media
    assert picture.local_path == str(
        media_dir / "flowroute" / entry_id / TODAY / f"{mid}-1-IMG_0001.png"
    )
    assert _bytes(picture.local_path) == PNG
    assert (
        picture.media_content_id
        == f"media-source://flowroute/{entry_id}/{TODAY}/{mid}-1-IMG_0001.png"
    )
    assert (picture.url, picture.mime_type, picture.file_name, picture.file_size) == (
        message.media[0].url,
        "image/png",
        "IMG_0001.png",
        len(PNG),
    )
    # The type decides the extension, not the sender's file name.
    assert video.local_path is not None
    assert Path(video.local_path).name == f"{mid}-2-clip.mp4"
    assert _bytes(video.local_path) == MP4
    # The text part is listed with its URL, not saved; the layout part is not listed.
    assert text.local_path is None
    assert text.media_content_id is None
    assert text.url == message.media[2].url
    assert _files(media_dir) == sorted(
        f"flowroute/{entry_id}/{TODAY}/{name}"
        for name in (f"{mid}-1-IMG_0001.png", f"{mid}-2-clip.mp4")
    )
    assert picture.as_event_data()["local_path"] == picture.local_path


@pytest.mark.parametrize(
    ("file_name", "mime_type", "expected"),
    [
        ("../../../../etc/passwd.png", "image/jpeg", "-1-passwd.jpg"),
        ("..\\..\\win.ini", "image/gif", "-1-win.gif"),
        (".hidden", "image/png", "-1-hidden.png"),
        ("photo.jpg.exe", "image/jpeg", "-1-photo.jpg.jpg"),
        ("évènement été.png", "image/png", "-1-evenement_ete.png"),
        ("script.svg", "image/svg+xml", "-1-script.bin"),
        ("page.html", "text/html", "-1-page.bin"),
        ("", "audio/amr", "-1-media.amr"),
        ("x" * 300 + ".png", "image/png", "-1-" + "x" * 60 + ".png"),
    ],
)
async def test_file_names_are_never_trusted(
    hass: HomeAssistant,
    *,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    media_dir: Path,
    file_name: str,
    mime_type: str,
    expected: str,
) -> None:
    message = _mms(simulator, InboundMedia(content=PNG, mime_type=mime_type, file_name=file_name))
    message = dataclasses.replace(
        message, media=(dataclasses.replace(message.media[0], file_name=file_name),)
    )
    [item] = await MediaDownloader(hass, loaded).async_download(message)
    assert item.local_path is not None
    path = Path(item.local_path)
    assert path.name == message.message_id + expected
    assert path.parent.parent == media_dir / "flowroute" / loaded.entry_id
    assert _bytes(path) == PNG
    assert item.file_name == file_name  # the event still tells what the sender called it


async def test_hostile_message_id_stays_in_its_folder(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator, media_dir: Path
) -> None:
    message = _mms(simulator, InboundMedia(content=PNG, file_name="a.png"))
    message = dataclasses.replace(message, message_id="../../../outside")
    [item] = await MediaDownloader(hass, loaded).async_download(message)
    assert item.local_path is not None
    assert Path(item.local_path).name == "outside-1-a.png"
    assert Path(item.local_path).parent.parent == media_dir / "flowroute" / loaded.entry_id


async def test_item_over_the_cap_keeps_its_url(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    media_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _set_options(hass, loaded, **{CONF_MEDIA_MAX_ITEM_MB: 0.0025})  # 2,500 bytes
    message = _mms(
        simulator,
        InboundMedia(content=PNG, file_name="small.png"),
        InboundMedia(content=MP4, mime_type="video/mp4", file_name="big.mp4"),
    )
    small, big = await MediaDownloader(hass, loaded).async_download(message)
    assert small.local_path is not None
    assert big.local_path is None
    assert big.media_content_id is None
    assert big.url == message.media[1].url
    assert big.file_size == len(MP4)  # from the payload
    assert [Path(p).name for p in _files(media_dir)] == [Path(small.local_path).name]
    assert "over the per-item limit of 0.0025 MB" in caplog.text


async def _streaming_server(chunks: int, chunk: bytes) -> TestServer:
    """A server answering without Content-Length, so only streaming can enforce caps."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(chunks):
            await response.write(chunk)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/media", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


@pytest.fixture
async def streaming(simulator: RunningSimulator) -> AsyncIterator[TestServer]:
    """10 chunks of 1,000 bytes, chunked transfer encoding (sockets come with the simulator)."""
    server = await _streaming_server(10, b"j" * 1_000)
    yield server
    await server.close()


async def test_caps_hold_while_streaming_and_leave_nothing(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    streaming: TestServer,
    media_dir: Path,
) -> None:
    message = _with_url(
        _mms(simulator, InboundMedia(content=PNG, mime_type="image/jpeg")),
        str(streaming.make_url("/media")),
    )
    downloader = MediaDownloader(hass, loaded)

    await _set_options(hass, loaded, **{CONF_MEDIA_MAX_ITEM_MB: 0.005})
    [item] = await downloader.async_download(message)
    assert item.local_path is None
    assert _files(media_dir) == []  # the partial file is gone

    await _set_options(hass, loaded, **{CONF_MEDIA_MAX_ITEM_MB: 1, CONF_MEDIA_MAX_DAY_MB: 0.015})
    [first] = await downloader.async_download(message)
    assert first.file_size == 10_000
    # The refused item did not count: 10,000 of 15,000 bytes used, the next one does not fit.
    [second] = await downloader.async_download(message)
    assert second.local_path is None
    assert [Path(p).name for p in _files(media_dir)] == [Path(str(first.local_path)).name]


async def test_day_cap_persists_and_resets_the_next_utc_day(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    freezer.move_to(f"{TODAY} 23:59:00+00:00")
    await _set_options(hass, loaded, **{CONF_MEDIA_MAX_DAY_MB: 0.005})  # 5,000 bytes a day
    picture = InboundMedia(content=MP4, mime_type="image/jpeg")  # 3,012 bytes

    [first] = await MediaDownloader(hass, loaded).async_download(_mms(simulator, picture))
    assert first.local_path is not None
    # A new downloader (as after a restart) still counts today's bytes.
    [second] = await MediaDownloader(hass, loaded).async_download(_mms(simulator, picture))
    assert second.local_path is None
    assert "the daily limit of 0.005 MB is reached" in caplog.text

    freezer.move_to("2026-11-03 00:00:30+00:00")
    [third] = await MediaDownloader(hass, loaded).async_download(_mms(simulator, picture))
    assert third.local_path is not None
    assert "/2026-11-03/" in third.local_path


async def test_failed_download_keeps_the_url_and_logs_no_token(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    media_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    message = _mms(simulator, InboundMedia(content=PNG))
    downloader = MediaDownloader(hass, loaded)
    for url, reason in (
        (f"{simulator.url}/sim/media/m-gone?X-Amz-Signature=s3cr3t", "HTTP status 404"),
        ("http://127.0.0.1:1/media.png?token=s3cr3t", "request failed"),
        ("ftp://user:s3cr3t@example.invalid/media.png", "request failed"),
    ):
        caplog.clear()
        [item] = await downloader.async_download(_with_url(message, url))
        assert item.url == url
        assert item.local_path is None
        assert item.file_size == len(PNG)
        assert reason in caplog.text
        assert "s3cr3t" not in caplog.text
    assert _files(media_dir) == []


async def test_download_option_off_saves_nothing(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator, media_dir: Path
) -> None:
    await _set_options(hass, loaded, **{CONF_DOWNLOAD_MEDIA: False})
    message = _mms(simulator, InboundMedia(content=PNG), smil=True)
    [item] = await MediaDownloader(hass, loaded).async_download(message)
    assert (item.url, item.local_path) == (message.media[0].url, None)
    assert _files(media_dir) == []


# Media source: browse, resolve, serve


@pytest.fixture
async def saved(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> tuple[str, str]:
    """One saved picture; returns its media-source id and the message id."""
    message = _mms(simulator, InboundMedia(content=PNG, file_name="door.png"))
    [item] = await MediaDownloader(hass, loaded).async_download(message)
    assert item.media_content_id is not None
    return item.media_content_id, message.message_id


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
        f"{message_id}-1-door.png",
        content_id,
        True,
        "image",
    )
    assert file.media_content_type == "image/png"

    resolved = await media_source.async_resolve_media(hass, content_id, None)
    assert resolved.mime_type == "image/png"
    assert (
        resolved.url == f"/api/flowroute/inbound_media/{entry_id}/{TODAY}/{message_id}-1-door.png"
    )

    # The root of all media sources lists Flowroute.
    everything = await media_source.async_browse_media(hass, None)
    assert "Flowroute" in [c.title for c in everything.children or []]


async def test_browse_of_an_account_without_media_is_empty(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    entry = await media_source.async_browse_media(
        hass, f"media-source://flowroute/{loaded.entry_id}"
    )
    assert entry.children == []


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
        "{entry}/{day}/link.png",
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
    day_dir = media_dir / "flowroute" / loaded.entry_id / TODAY
    (day_dir / "link.png").symlink_to(secret)
    name = saved[0].rsplit("/", 1)[1]
    content_id = "media-source://flowroute/" + identifier.format(
        entry=loaded.entry_id, day=TODAY, name=name
    )
    with pytest.raises(media_source.Unresolvable):
        await media_source.async_resolve_media(hass, content_id, None)


@pytest.mark.parametrize(
    "identifier", ["{entry}/../x", "{entry}/not-a-day", "not_an_entry", "{entry}/{day}/file"]
)
async def test_browse_refuses_what_it_did_not_write(
    hass: HomeAssistant, loaded: MockConfigEntry, identifier: str
) -> None:
    content_id = "media-source://flowroute/" + identifier.format(entry=loaded.entry_id, day=TODAY)
    with pytest.raises(BrowseError):
        await media_source.async_browse_media(hass, content_id)


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
    (day_dir / f"{saved[1]}-2-page.bin").write_bytes(b"<script>alert(1)</script>")
    client = await hass_client()

    response = await client.get(resolved.url)
    assert response.status == 200
    assert await response.read() == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Disposition" not in response.headers

    # Anything that is not plain media is a download, never a page on Home Assistant's origin.
    response = await client.get(resolved.url.replace("-1-door.png", "-2-page.bin"))
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"] == "attachment"

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


async def test_slow_download_times_out(
    hass: HomeAssistant,
    *,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    media_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(body=PNG)

    app = web.Application()
    app.router.add_get("/slow", slow)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    monkeypatch.setattr(inbound_media, "DOWNLOAD_TIMEOUT", 0.05)
    try:
        message = _with_url(
            _mms(simulator, InboundMedia(content=PNG)), str(server.make_url("/slow"))
        )
        [item] = await MediaDownloader(hass, loaded).async_download(message)
    finally:
        await server.close()
    assert item.local_path is None
    assert "timed out" in caplog.text
    assert _files(media_dir) == []


async def test_unwritable_media_folder_keeps_the_url(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    media_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _put_a_file_where_the_folder_goes(media_dir / "flowroute")
    [item] = await MediaDownloader(hass, loaded).async_download(
        _mms(simulator, InboundMedia(content=PNG))
    )
    assert item.local_path is None
    assert "could not write the file" in caplog.text


async def test_remove_forgets_the_day_usage(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    hass_storage: dict[str, Any],
) -> None:
    downloader = MediaDownloader(hass, loaded)
    await downloader.async_download(_mms(simulator, InboundMedia(content=PNG)))
    key = f"flowroute.{loaded.entry_id}.inbound_media"
    assert hass_storage[key]["data"]["bytes"] == len(PNG)
    await async_remove_entry_stores(hass, loaded.entry_id)
    assert key not in hass_storage

"""Inbound MMS media: fetched safely, saved under caps, kept for a while.

Browsing and serving what is saved: tests/test_media_source.py.

The forged-callback tests post to the entry's real webhook. Loopback servers stand in
for the hosts a media URL can name (tests/media_servers.py): a `MediaServer` is a public
host once `trust_loopback` has set safe_fetch's test seam, a `ConnectionCounter` an
internal one that counts every TCP connection it gets.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.flowroute import inbound_media
from custom_components.flowroute.api import InboundMessage, parse_callback
from custom_components.flowroute.const import (
    CONF_DOWNLOAD_MEDIA,
    CONF_MEDIA_MAX_DAY_MB,
    CONF_MEDIA_MAX_ITEM_MB,
    CONF_MEDIA_RETENTION_DAYS,
    EVENT_MESSAGE_RECEIVED,
)
from custom_components.flowroute.inbound_media import (
    MIN_FILE_BYTES,
    MediaDownloader,
    async_register_view,
)
from custom_components.flowroute.storage import async_remove_entry_stores
from simulator.core import InboundMedia
from simulator.payloads import inbound_document
from simulator.testing import RunningSimulator

from .conftest import DID_1
from .media_servers import ConnectionCounter, MediaServer, trust_loopback

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp.test_utils import TestClient
    from freezegun.api import FrozenDateTimeFactory
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

HANDSET = "12065550100"
PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 2_000
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"v" * 3_000
TODAY = "2026-11-02"
EVENT_TIMEOUT = 30  # seconds: only reached when a test is about to fail


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
    # The downloader reads the options live; the entry reloads meanwhile (update listener),
    # which stops the downloaders started for it before.
    hass.config_entries.async_update_entry(entry, options={**entry.options, **options})
    await hass.async_block_till_done()


async def _downloader(hass: HomeAssistant, entry: MockConfigEntry) -> MediaDownloader:
    return await MediaDownloader.async_create(hass, entry)


def _name(message_id: str, rest: str, prefix: str | None = None) -> str:
    """The saved name: cleaned id, 8 hex digits of the raw id's SHA-256, then `rest`."""
    digest = hashlib.sha256(message_id.encode()).hexdigest()[:8]
    return f"{message_id if prefix is None else prefix}-{digest}-{rest}"


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


@pytest.fixture
async def public(
    monkeypatch: pytest.MonkeyPatch, socket_enabled: None
) -> AsyncIterator[MediaServer]:
    """A public https host serving PNG as good.png (loopback, public through the seam)."""
    trust_loopback(monkeypatch)
    async with MediaServer(files={"good.png": PNG}) as server:
        yield server


@pytest.fixture
async def internal(socket_enabled: None) -> AsyncIterator[ConnectionCounter]:
    """An internal host that counts the connections it gets."""
    async with ConnectionCounter() as counter:
        yield counter


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
    # The parser drops the SMIL layout part (the downloader gets only what it left).
    assert len(message.media) == 3

    media = await (await _downloader(hass, loaded)).async_download(message)

    entry_id, mid = loaded.entry_id, message.message_id
    picture_name, video_name = _name(mid, "1-IMG_0001.png"), _name(mid, "2-clip.mp4")
    picture, video, text = media
    assert picture.local_path == str(media_dir / "flowroute" / entry_id / TODAY / picture_name)
    assert _bytes(picture.local_path) == PNG
    assert picture.media_content_id == f"media-source://flowroute/{entry_id}/{TODAY}/{picture_name}"
    assert (picture.url, picture.mime_type, picture.file_name, picture.file_size) == (
        message.media[0].url,
        "image/png",
        "IMG_0001.png",
        len(PNG),
    )
    # The type decides the extension, not the sender's file name.
    assert video.local_path is not None
    assert Path(video.local_path).name == video_name
    assert _bytes(video.local_path) == MP4
    # The text part is listed with its URL, not saved; the layout part is not listed.
    assert text.local_path is None
    assert text.media_content_id is None
    assert text.url == message.media[2].url
    assert _files(media_dir) == sorted(
        f"flowroute/{entry_id}/{TODAY}/{name}" for name in (picture_name, video_name)
    )
    assert picture.as_event_data()["local_path"] == picture.local_path


@pytest.mark.parametrize(
    ("file_name", "mime_type", "expected"),
    [
        ("../../../../etc/passwd.png", "image/jpeg", "1-passwd.jpg"),
        ("..\\..\\win.ini", "image/gif", "1-win.gif"),
        (".hidden", "image/png", "1-hidden.png"),
        ("photo.jpg.exe", "image/jpeg", "1-photo.jpg.jpg"),
        ("évènement été.png", "image/png", "1-evenement_ete.png"),
        ("script.svg", "image/svg+xml", "1-script.bin"),
        ("page.html", "text/html", "1-page.bin"),
        ("", "audio/amr", "1-media.amr"),
        ("x" * 300 + ".png", "image/png", "1-" + "x" * 60 + ".png"),
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
    [item] = await (await _downloader(hass, loaded)).async_download(message)
    assert item.local_path is not None
    path = Path(item.local_path)
    assert path.name == _name(message.message_id, expected)
    assert path.parent.parent == media_dir / "flowroute" / loaded.entry_id
    assert _bytes(path) == PNG
    assert item.file_name == file_name  # the event still tells what the sender called it


async def test_hostile_message_id_stays_in_its_folder(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator, media_dir: Path
) -> None:
    message = _mms(simulator, InboundMedia(content=PNG, file_name="a.png"))
    message = dataclasses.replace(message, message_id="../../../outside")
    [item] = await (await _downloader(hass, loaded)).async_download(message)
    assert item.local_path is not None
    assert Path(item.local_path).name == _name("../../../outside", "1-a.png", prefix="outside")
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
    small, big = await (await _downloader(hass, loaded)).async_download(message)
    assert small.local_path is not None
    assert big.local_path is None
    assert big.media_content_id is None
    assert big.url == message.media[1].url
    assert big.file_size == len(MP4)  # from the payload
    assert [Path(p).name for p in _files(media_dir)] == [Path(small.local_path).name]
    assert "over the per-item limit of 0.0025 MB" in caplog.text


async def test_caps_hold_while_streaming_and_leave_nothing(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    public: MediaServer,
    media_dir: Path,
) -> None:
    # 10 chunks of 1,000 bytes without a Content-Length: only streaming can enforce caps.
    message = _with_url(
        _mms(simulator, InboundMedia(content=PNG, mime_type="image/jpeg")),
        public.url("/stream/10"),
    )
    await _set_options(hass, loaded, **{CONF_MEDIA_MAX_ITEM_MB: 0.005})
    [item] = await (await _downloader(hass, loaded)).async_download(message)
    assert item.local_path is None
    assert _files(media_dir) == []  # the partial file is gone

    # 16,000 bytes counted for the first (the minimum); the next one does not fit in 30,000.
    await _set_options(hass, loaded, **{CONF_MEDIA_MAX_ITEM_MB: 1, CONF_MEDIA_MAX_DAY_MB: 0.03})
    downloader = await _downloader(hass, loaded)
    [first] = await downloader.async_download(message)
    assert first.file_size == 10_000
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
    await _set_options(hass, loaded, **{CONF_MEDIA_MAX_DAY_MB: 0.02})  # 20,000 bytes a day
    picture = InboundMedia(content=MP4, mime_type="image/jpeg")  # 3,012 bytes: counts 16,000

    [first] = await (await _downloader(hass, loaded)).async_download(_mms(simulator, picture))
    assert first.local_path is not None
    # A new downloader (as after a restart) still counts today's bytes.
    [second] = await (await _downloader(hass, loaded)).async_download(_mms(simulator, picture))
    assert second.local_path is None
    assert "the daily limit of 0.02 MB is reached" in caplog.text

    freezer.move_to("2026-11-03 00:00:30+00:00")
    [third] = await (await _downloader(hass, loaded)).async_download(_mms(simulator, picture))
    assert third.local_path is not None
    assert "/2026-11-03/" in third.local_path


async def test_failed_download_keeps_the_url_and_logs_no_token(
    hass: HomeAssistant,
    *,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    public: MediaServer,
    media_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    message = _mms(simulator, InboundMedia(content=PNG))
    downloader = await _downloader(hass, loaded)
    for url, reason in (
        (f"{simulator.url}/sim/media/m-gone?X-Amz-Signature=s3cr3t", "HTTP status 404"),
        # Loopback is public in this test: port 1 refuses the connection.
        ("https://127.0.0.1:1/media.png?token=s3cr3t", "request failed"),
        ("http://127.0.0.1:1/media.png?token=s3cr3t", "refused: not https"),
        ("ftp://user:s3cr3t@example.invalid/media.png", "refused: not https"),
        ("https://[::1]/media.png?token=s3cr3t", "refused: not a public address"),
    ):
        caplog.clear()
        [item] = await downloader.async_download(_with_url(message, url))
        assert item.url == url
        assert item.local_path is None
        assert item.file_size == len(PNG)
        assert reason in caplog.text
        assert "s3cr3t" not in caplog.text
    assert _files(media_dir) == []


async def test_slow_download_times_out(
    hass: HomeAssistant,
    *,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    public: MediaServer,
    media_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(inbound_media, "DOWNLOAD_TIMEOUT", 0.05)
    message = _with_url(_mms(simulator, InboundMedia(content=PNG)), public.url("/never"))
    [item] = await (await _downloader(hass, loaded)).async_download(message)
    assert public.requests == ["/never"]
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
    [item] = await (await _downloader(hass, loaded)).async_download(
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
    downloader = await _downloader(hass, loaded)
    await downloader.async_download(_mms(simulator, InboundMedia(content=PNG)))
    key = f"flowroute.{loaded.entry_id}.inbound_media"
    assert hass_storage[key]["data"]["bytes"] == MIN_FILE_BYTES  # 2,008 bytes count 16,000
    assert hass_storage[key]["data"]["files"] == 1
    await async_remove_entry_stores(hass, loaded.entry_id)
    assert key not in hass_storage


# Forged callbacks: what a stranger who knows the webhook URL can make Home Assistant fetch


@pytest.fixture
async def client(
    loaded: MockConfigEntry, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    """A client for the entry's real webhook (started once the entry is loaded)."""
    return await hass_client_no_auth()


@pytest.fixture
def inbox(hass: HomeAssistant) -> asyncio.Queue[Event]:
    """The message events, in the order they fire."""
    queue: asyncio.Queue[Event] = asyncio.Queue()

    @callback
    def _put(event: Event) -> None:
        queue.put_nowait(event)

    hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, _put)
    return queue


def _forged(message_id: str, *urls: str) -> dict[str, Any]:
    """An MMS callback as anyone could post it, naming `urls` as its pictures."""
    ids = [f"m-{n}" for n in range(len(urls))]
    return {
        "data": {
            "id": message_id,
            "type": "message",
            "attributes": {
                "body": "Look",
                "is_mms": True,
                "direction": "inbound",
                "from": HANDSET,
                "to": DID_1,
                "timestamp": f"{TODAY}T18:25:03.00Z",
            },
            "relationships": {"media": {"data": [{"id": i, "type": "media"} for i in ids]}},
        },
        "included": [
            {
                "id": media_id,
                "type": "media",
                "attributes": {
                    "file_name": f"{media_id}.png",
                    "file_size": 100,
                    "mime_type": "image/png",
                    "url": url,
                },
            }
            for media_id, url in zip(ids, urls, strict=True)
        ],
    }


async def _post(client: TestClient, entry: MockConfigEntry, payload: dict[str, Any]) -> None:
    response = await client.post(f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}", json=payload)
    assert response.status == 200


async def _next(inbox: asyncio.Queue[Event]) -> list[dict[str, Any]]:
    """The media of the next message event (fired once its downloads are over)."""
    async with asyncio.timeout(EVENT_TIMEOUT):
        event = await inbox.get()
    media: list[dict[str, Any]] = event.data["media"]
    return media


async def _receive(
    client: TestClient, entry: MockConfigEntry, inbox: asyncio.Queue[Event], *urls: str
) -> list[dict[str, Any]]:
    global _forged_count  # noqa: PLW0603 - each forged MMS needs an id of its own
    _forged_count += 1
    await _post(client, entry, _forged(f"mdr2-forged{_forged_count}", *urls))
    return await _next(inbox)


_forged_count = 0


def _saved_paths(media: list[dict[str, Any]]) -> list[str | None]:
    return [item.get("local_path") for item in media]


@pytest.mark.parametrize(
    "bad_url",
    [
        "http://127.0.0.1:{internal}/latest/meta-data/",  # another port of the trusted host
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/x",
        "https://192.168.1.1/x",
        "https://[fd00::1]/x",
        "https://[::ffff:10.0.0.1]/x",
        "{plain}",  # a public host, but plain http
    ],
)
async def test_forged_urls_to_internal_hosts_are_not_fetched(
    hass: HomeAssistant,
    *,
    client: TestClient,
    loaded: MockConfigEntry,
    inbox: asyncio.Queue[Event],
    public: MediaServer,
    internal: ConnectionCounter,
    media_dir: Path,
    bad_url: str,
) -> None:
    async with MediaServer(tls=False, files={"good.png": PNG}) as plain:
        url = bad_url.format(internal=internal.port, plain=plain.url("/m/good.png"))
        good, bad = await _receive(client, loaded, inbox, public.url("/m/good.png"), url)
        assert plain.requests == []
    assert internal.connections == 0
    # The event still tells where the picture was; only the public https one is saved.
    assert (bad["url"], "local_path" in bad) == (url, False)
    assert good["local_path"] is not None
    assert _bytes(good["local_path"]) == PNG
    assert [Path(p).name for p in _files(media_dir)] == [Path(good["local_path"]).name]


async def test_a_redirect_to_an_internal_host_is_not_followed(
    hass: HomeAssistant,
    *,
    client: TestClient,
    loaded: MockConfigEntry,
    inbox: asyncio.Queue[Event],
    public: MediaServer,
    internal: ConnectionCounter,
    media_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    public.redirects.update(
        {
            "internal": f"http://127.0.0.1:{internal.port}/secret",
            "metadata": "https://169.254.169.254/latest/meta-data/",
            "public": public.url("/m/good.png"),
        }
    )
    media = await _receive(
        client,
        loaded,
        inbox,
        public.url("/r/internal"),
        public.url("/r/metadata"),
        public.url("/r/public"),
    )
    assert internal.connections == 0
    to_internal, to_metadata, to_public = _saved_paths(media)
    assert (to_internal, to_metadata) == (None, None)
    assert to_public is not None
    assert _bytes(to_public) == PNG
    assert "refused: a redirect to a URL that is not https" in caplog.text
    assert "refused: a redirect to a URL that is not a public address" in caplog.text
    assert len(_files(media_dir)) == 1


async def test_a_name_that_resolves_to_loopback_is_refused(
    hass: HomeAssistant,
    *,
    client: TestClient,
    loaded: MockConfigEntry,
    inbox: asyncio.Queue[Event],
    simulator: RunningSimulator,
    internal: ConnectionCounter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # No seam: loopback is what it is. The simulator (the trusted origin) still works.
    from_simulator = _mms(simulator, InboundMedia(content=PNG)).media[0].url
    media = await _receive(
        client, loaded, inbox, from_simulator, f"https://localhost:{internal.port}/x.png"
    )
    trusted, rebound = _saved_paths(media)
    assert trusted is not None
    assert _bytes(trusted) == PNG
    assert rebound is None
    assert internal.connections == 0
    assert "refused: the name resolves to no public address" in caplog.text


async def test_an_mms_from_the_simulator_is_downloaded(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    inbox: asyncio.Queue[Event],
    simulator: RunningSimulator,
    media_dir: Path,
) -> None:
    simulator.inject_inbound(
        from_=HANDSET, to=DID_1, body="Porch", media=[InboundMedia(content=PNG)], smil=True
    )
    [item] = await _next(inbox)
    assert item["url"].startswith(f"{simulator.url}/")
    assert _bytes(item["local_path"]) == PNG
    assert _files(media_dir) == [str(Path(item["local_path"]).relative_to(media_dir))]


async def test_download_option_off_fetches_and_saves_nothing(
    hass: HomeAssistant,
    *,
    client: TestClient,
    loaded: MockConfigEntry,
    inbox: asyncio.Queue[Event],
    public: MediaServer,
    media_dir: Path,
) -> None:
    await _set_options(hass, loaded, **{CONF_DOWNLOAD_MEDIA: False})
    url = public.url("/m/good.png")
    [item] = await _receive(client, loaded, inbox, url)
    assert (item["url"], "local_path" in item) == (url, False)
    assert public.requests == []
    assert _files(media_dir) == []


# Caps: bytes (every file counts at least MIN_FILE_BYTES) and files, per entry and day


async def test_every_file_counts_at_least_the_minimum(
    hass: HomeAssistant,
    *,
    client: TestClient,
    loaded: MockConfigEntry,
    inbox: asyncio.Queue[Event],
    public: MediaServer,
    media_dir: Path,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    public.files["empty.png"] = b""
    await _set_options(hass, loaded, **{CONF_MEDIA_MAX_DAY_MB: 0.05})  # 50,000 bytes a day
    empty = public.url("/m/empty.png")
    media = await _receive(client, loaded, inbox, *[empty] * 4)
    assert [path is not None for path in _saved_paths(media)] == [True, True, True, False]
    assert "the daily limit of 0.05 MB is reached" in caplog.text
    key = f"flowroute.{loaded.entry_id}.inbound_media"
    assert hass_storage[key]["data"]["bytes"] == 3 * MIN_FILE_BYTES

    # The count survives a reload (as it does a restart).
    assert await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    assert _saved_paths(await _receive(client, loaded, inbox, empty)) == [None]
    assert len(_files(media_dir)) == 3


async def test_files_per_day_are_capped(
    hass: HomeAssistant,
    *,
    client: TestClient,
    loaded: MockConfigEntry,
    inbox: asyncio.Queue[Event],
    public: MediaServer,
    media_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(inbound_media, "MAX_FILES_PER_DAY", 3)  # instead of 500
    public.files["empty.png"] = b""
    empty = public.url("/m/empty.png")
    media = await _receive(client, loaded, inbox, *[empty] * 5)
    assert [path is not None for path in _saved_paths(media)] == [True] * 3 + [False] * 2
    assert "the daily limit of 3 files is reached" in caplog.text

    assert await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    assert _saved_paths(await _receive(client, loaded, inbox, empty)) == [None]
    assert len(_files(media_dir)) == 3


# Retention


def _day_folders(media_dir: Path, entry_id: str) -> list[str]:
    return sorted(p.name for p in (media_dir / "flowroute" / entry_id).iterdir())


async def test_retention_deletes_old_day_folders(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    media_dir: Path,
    tmp_path: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(f"{TODAY} 12:00:00+00:00")
    entry_dir = media_dir / "flowroute" / loaded.entry_id
    for day in (TODAY, "2026-08-04", "2026-08-03", "2025-01-01"):
        (entry_dir / day).mkdir(parents=True)
        (entry_dir / day / "x-1-a.png").write_bytes(PNG)
    (entry_dir / "notes").mkdir()  # not a day: not ours to delete
    (entry_dir / "2020-01-02").write_bytes(b"a file, not a day folder")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.png").write_bytes(PNG)
    (entry_dir / "2020-01-03").symlink_to(outside)
    other_entry = media_dir / "flowroute" / "another_entry" / "2020-01-01"
    other_entry.mkdir(parents=True)

    # A minute after setup (here the reload an option change makes), what is over 90
    # days goes.
    await _set_options(hass, loaded, **{CONF_MEDIA_RETENTION_DAYS: 90})
    assert "2025-01-01" in _day_folders(media_dir, loaded.entry_id)
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _day_folders(media_dir, loaded.entry_id) == [
        "2020-01-02",
        "2020-01-03",
        "2026-08-04",  # 90 days ago: kept until all of that day is older than 90 days
        TODAY,
        "notes",
    ]
    assert (outside / "keep.png").exists()
    assert other_entry.exists()

    # Then once a day.
    freezer.tick(timedelta(days=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert "2026-08-04" not in _day_folders(media_dir, loaded.entry_id)
    assert TODAY in _day_folders(media_dir, loaded.entry_id)

    # 0 keeps everything.
    await _set_options(hass, loaded, **{CONF_MEDIA_RETENTION_DAYS: 0})
    freezer.tick(timedelta(days=400))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert TODAY in _day_folders(media_dir, loaded.entry_id)
    assert _bytes(entry_dir / TODAY / "x-1-a.png") == PNG


# Names: never shared, never overwritten


async def test_ids_that_clean_alike_keep_both_pictures(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator, media_dir: Path
) -> None:
    downloader = await _downloader(hass, loaded)
    long_id = "mdr2-" + "a" * 100  # cut to 80 characters in the name
    pairs = [("mdr2:x", "mdr2_x"), ("mdr2-é", "mdr2-e"), (f"{long_id}1", f"{long_id}2")]
    saved: dict[str, bytes] = {}
    for pair in pairs:
        for n, message_id in enumerate(pair):
            content = PNG + message_id.encode() + bytes([n])
            message = _mms(simulator, InboundMedia(content=content, file_name="a.png"))
            [item] = await downloader.async_download(
                dataclasses.replace(message, message_id=message_id)
            )
            assert item.local_path is not None
            saved[item.local_path] = content
    assert len(saved) == 2 * len(pairs)
    for path, content in saved.items():
        assert _bytes(path) == content


async def test_concurrent_downloads_of_one_name_keep_their_own_part(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    public: MediaServer,
    media_dir: Path,
) -> None:
    # Both bodies are half sent before either ends: both are being written at once.
    bodies = {"a": PNG + b"A" * 5_000, "b": PNG + b"B" * 5_000}
    public.files.update(bodies)
    message = _mms(simulator, InboundMedia(content=PNG, file_name="same.png"))
    downloader = await _downloader(hass, loaded)
    results = await asyncio.gather(
        *(
            downloader.async_download(_with_url(message, public.url(f"/halves/{name}")))
            for name in bodies
        )
    )
    paths = [item.local_path for [item] in results]
    assert None not in paths
    assert sorted(Path(str(p)).name for p in paths) == [
        _name(message.message_id, "1-same-2.png"),
        _name(message.message_id, "1-same.png"),
    ]
    assert sorted(_bytes(str(p)) for p in paths) == sorted(bodies.values())
    assert not [p for p in _files(media_dir) if p.endswith(".part")]


async def test_an_existing_file_is_never_overwritten(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator, media_dir: Path
) -> None:
    message = _mms(simulator, InboundMedia(content=PNG, file_name="door.png"))
    downloader = await _downloader(hass, loaded)
    [first] = await downloader.async_download(message)
    [again] = await downloader.async_download(message)  # Flowroute resent it, days later
    assert first.local_path is not None
    assert again.local_path is not None
    assert Path(again.local_path).name == _name(message.message_id, "1-door-2.png")
    assert _bytes(first.local_path) == _bytes(again.local_path) == PNG


# The entry's own session: a few connections, whatever arrives


async def test_downloads_share_a_small_connection_pool(
    hass: HomeAssistant,
    client: TestClient,
    loaded: MockConfigEntry,
    inbox: asyncio.Queue[Event],
    public: MediaServer,
) -> None:
    limit, messages = inbound_media.CONNECTIONS_PER_HOST, 6
    public.files.update({f"p{n}": PNG for n in range(messages)})
    for n in range(messages):
        await _post(client, loaded, _forged(f"mdr2-pool{n}", public.url(f"/gate/p{n}")))
    for _ in range(messages // limit):
        # Released requests have answered, `limit` more wait: and never one more.
        async with asyncio.timeout(EVENT_TIMEOUT):
            await public.wait_in_flight(limit)
        assert public.in_flight == limit
        await public.release(limit)
    saved = [_saved_paths(await _next(inbox)) for _ in range(messages)]
    assert all(path is not None for [path] in saved)
    assert public.max_in_flight == limit

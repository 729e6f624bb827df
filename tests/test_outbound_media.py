"""Outbound media: resolving, fitting into an MMS, hosting at short-lived URLs."""

from __future__ import annotations

import io
import random
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from homeassistant.components.camera import Camera
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from PIL import Image
from pytest_homeassistant_custom_component.common import setup_test_component_platform

from custom_components.flowroute.outbound_media import (
    DATA_MEDIA_HOST,
    MMS_MAX_BYTES,
    URL_PATH,
    MediaFile,
    MediaHost,
    async_fit_media,
    async_host_media,
    async_resolve_media,
    async_setup_media,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


def _noise_png(width: int, height: int) -> bytes:
    """A picture that does not compress: far larger than an MMS allows."""
    rng = random.Random(width * height)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 10, 10)).save(out, format="JPEG")
    return out.getvalue()


async def test_small_media_pass_unchanged(hass: HomeAssistant) -> None:
    jpeg = MediaFile(content=_small_jpeg(), content_type="image/jpeg", file_name="a.jpg")
    assert await async_fit_media(hass, [jpeg], "hello") == [jpeg]


async def test_large_picture_is_downscaled_to_fit(hass: HomeAssistant) -> None:
    big = MediaFile(content=_noise_png(1200, 900), content_type="image/png", file_name="b.png")
    assert len(big.content) > MMS_MAX_BYTES
    [fitted] = await async_fit_media(hass, [big], "x" * 100)
    assert fitted.content_type == "image/jpeg"
    assert fitted.file_name == "b.jpg"
    assert len(fitted.content) <= MMS_MAX_BYTES - 100
    with Image.open(io.BytesIO(fitted.content)) as image:
        assert image.format == "JPEG"


async def test_two_pictures_share_the_budget(hass: HomeAssistant) -> None:
    pictures = [
        MediaFile(content=_noise_png(700, 500), content_type="image/png", file_name=f"{i}.png")
        for i in range(2)
    ]
    fitted = await async_fit_media(hass, pictures, "")
    assert sum(len(m.content) for m in fitted) <= MMS_MAX_BYTES


async def test_unsupported_type_is_refused(hass: HomeAssistant) -> None:
    pdf = MediaFile(content=b"%PDF-1.4", content_type="application/pdf", file_name="x.pdf")
    with pytest.raises(ServiceValidationError) as err:
        await async_fit_media(hass, [pdf], "")
    assert err.value.translation_key == "unsupported_media_type"


async def test_oversized_video_cannot_shrink(hass: HomeAssistant) -> None:
    video = MediaFile(content=b"\0" * 800_000, content_type="video/mp4", file_name="v.mp4")
    with pytest.raises(ServiceValidationError) as err:
        await async_fit_media(hass, [video], "")
    assert err.value.translation_key == "media_too_large"


async def test_undecodable_picture_cannot_shrink(hass: HomeAssistant) -> None:
    broken = MediaFile(content=b"\0" * 800_000, content_type="image/jpeg", file_name="x.jpg")
    with pytest.raises(ServiceValidationError) as err:
        await async_fit_media(hass, [broken], "")
    assert err.value.translation_key == "media_too_large"


@pytest.fixture
async def media_host(hass: HomeAssistant) -> MediaHost:
    await async_setup_component(hass, "http", {})
    await async_setup_media(hass)
    return hass.data[DATA_MEDIA_HOST]


async def test_hosted_media_served_then_gone(
    hass: HomeAssistant, media_host: MediaHost, hass_client_no_auth
) -> None:
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.org"})
    jpeg = _small_jpeg()
    urls, tokens = await async_host_media(
        hass,
        [MediaFile(content=jpeg, content_type="image/jpeg", file_name="a.jpg")],
        timedelta(hours=1),
    )
    assert urls == [f"https://ha.example.org/api/flowroute/media/{tokens[0]}"]
    client = await hass_client_no_auth()

    response = await client.get(URL_PATH.format(token=tokens[0]))
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert await response.read() == jpeg

    assert (await client.get(URL_PATH.format(token="A" * 43))).status == 404
    assert (await client.get(URL_PATH.format(token="../../secrets"))).status == 404

    media_host.async_expire_after(tokens, timedelta(0))
    assert (await client.get(URL_PATH.format(token=tokens[0]))).status == 404
    await media_host.async_purge()
    stored = Path(hass.config.path(".storage", "flowroute_media", tokens[0]))
    assert not await hass.async_add_executor_job(stored.exists)


async def test_hosted_media_are_never_a_page_on_home_assistants_origin(
    hass: HomeAssistant, media_host: MediaHost, hass_client_no_auth
) -> None:
    # Whoever has the link gets the file: a browser must neither sniff it nor run it.
    token = await media_host.async_add(
        MediaFile(content=b"<svg onload=alert(1)>", content_type="image/gif", file_name="x.gif"),
        timedelta(hours=1),
    )
    client = await hass_client_no_auth()
    response = await client.get(URL_PATH.format(token=token))
    assert response.status == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"


async def test_hosted_media_survive_a_restart(hass: HomeAssistant, media_host: MediaHost) -> None:
    token = await media_host.async_add(
        MediaFile(content=b"GIF89a", content_type="image/gif", file_name="g.gif"),
        timedelta(hours=1),
    )
    await hass.async_block_till_done()
    reloaded = MediaHost(hass)
    await reloaded.async_load()
    assert await reloaded.async_read(token) == (b"GIF89a", "image/gif")


async def test_hosting_needs_an_external_url(hass: HomeAssistant, media_host: MediaHost) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await async_host_media(
            hass,
            [MediaFile(content=b"x", content_type="text/plain", file_name="x.txt")],
            timedelta(hours=1),
        )
    assert err.value.translation_key == "no_external_url"


class _SnapshotCamera(Camera):
    _attr_name = "Porch"
    _attr_unique_id = "porch"

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        return _small_jpeg()


async def test_camera_snapshot_resolves(hass: HomeAssistant) -> None:
    setup_test_component_platform(hass, "camera", [_SnapshotCamera()])
    assert await async_setup_component(hass, "camera", {"camera": {"platform": "test"}})
    await hass.async_block_till_done()

    for selector in (
        "camera.porch",
        {"entity_id": "camera.porch"},
        {"media_content_id": "media-source://camera/camera.porch"},
    ):
        media = await async_resolve_media(hass, selector)
        assert media.content == _small_jpeg()
        assert media.content_type == "image/jpeg"
        assert media.file_name == "porch.jpg"


async def test_local_media_and_allowlisted_files(hass: HomeAssistant, tmp_path: Path) -> None:
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    (media_dir / "door.png").write_bytes(b"\x89PNG-door")
    (tmp_path / "private.txt").write_text("secret")
    hass.config.media_dirs = {"local": str(media_dir)}
    hass.config.allowlist_external_dirs = {str(media_dir)}

    local = await async_resolve_media(hass, "media-source://media_source/local/door.png")
    assert (local.content, local.content_type) == (b"\x89PNG-door", "image/png")
    by_path = await async_resolve_media(hass, str(media_dir / "door.png"))
    assert by_path.content == b"\x89PNG-door"

    with pytest.raises(ServiceValidationError) as err:
        await async_resolve_media(hass, "media-source://media_source/local/../private.txt")
    assert err.value.translation_key == "media_not_allowed"
    with pytest.raises(ServiceValidationError) as err:
        await async_resolve_media(hass, str(tmp_path / "private.txt"))
    assert err.value.translation_key == "media_not_allowed"
    with pytest.raises(ServiceValidationError) as err:
        await async_resolve_media(hass, "media-source://media_source/local/missing.png")
    assert err.value.translation_key == "media_unavailable"
    with pytest.raises(ServiceValidationError) as err:
        await async_resolve_media(hass, "https://example.org/not-a-media-item.jpg")
    assert err.value.translation_key == "unsupported_media"


async def test_local_files_get_the_type_flowroute_documents(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    # Python's own table names these audio/AMR, audio/3gpp and audio/sp-midi: refused.
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    hass.config.media_dirs = {"local": str(media_dir)}
    for name, expected in (
        ("voice.amr", "audio/amr"),
        ("clip.3gp", "video/3gpp"),
        ("tune.mid", "audio/midi"),
    ):
        (media_dir / name).write_bytes(b"\0" * 100)
        media = await async_resolve_media(hass, f"media-source://media_source/local/{name}")
        assert media.content_type == expected
        assert await async_fit_media(hass, [media], "") == [media]

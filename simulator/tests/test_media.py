"""MMS media: sends' media_urls are fetched (400 unreachable, 422 too large); inbound is served."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from simulator import InboundMedia, run_simulator

from .helpers import HANDSET, NUMBER, Api, Sink, closed_port, message

if TYPE_CHECKING:
    import aiohttp

LIMIT = 767_840


async def test_mms_media_is_fetched_and_recorded(api: Api, sink: Sink) -> None:
    picture = b"\xff\xd8\xff" + b"x" * 1000
    sink.files["snap.jpg"] = (picture, "image/jpeg")
    reply = await api.send(message(body="Front door", media_urls=[sink.at("/files/snap.jpg")]))
    assert reply.status == 202
    [record] = api.sim.state.sent_messages()
    assert record.is_mms
    assert record.amount_nanodollars == 19_500_000
    [media] = record.media
    assert (media.mime_type, media.file_name, media.size) == ("image/jpeg", "snap.jpg", 1003)
    assert media.sha256 == hashlib.sha256(picture).hexdigest()
    listed = await api.get(f"/v2.1/messages/{record.message_id}")
    assert listed.body["data"]["attributes"]["media_urls"] == [sink.at("/files/snap.jpg")]
    assert listed.body["data"]["attributes"]["is_mms"] is True


async def test_mms_without_text(api: Api, sink: Sink) -> None:
    sink.files["a.png"] = (b"png", "image/png")
    reply = await api.send(message(body=None, media_urls=[sink.at("/files/a.png")]))
    assert reply.status == 202


async def test_media_at_the_limit_passes_and_one_byte_more_gets_422(api: Api, sink: Sink) -> None:
    sink.files["max.bin"] = (b"a" * LIMIT, "image/gif")
    sink.files["over.bin"] = (b"a" * (LIMIT + 1), "image/gif")
    ok = await api.send(message(body=None, media_urls=[sink.at("/files/max.bin")]))
    assert ok.status == 202
    api.sim.state.rate_limiter.reset()
    too_big = await api.send(message(body=None, media_urls=[sink.at("/files/over.bin")]))
    assert too_big.status == 422
    assert too_big.error["title"] == "Unprocessable Entity"
    assert "767,840" in too_big.error["detail"]
    assert len(api.sim.state.sent_messages()) == 1


async def test_text_and_media_together_over_the_limit_get_422(api: Api, sink: Sink) -> None:
    sink.files["max.bin"] = (b"a" * LIMIT, "image/gif")
    reply = await api.send(message(body="hello", media_urls=[sink.at("/files/max.bin")]))
    assert reply.status == 422
    assert "media and text together" in reply.error["detail"]


async def test_unreachable_media_gets_400(api: Api, sink: Sink) -> None:
    for url, reason in (
        (sink.at("/files/missing.png"), "HTTP 404"),
        (f"http://127.0.0.1:{closed_port()}/a.png", "could not be fetched"),
    ):
        api.sim.state.rate_limiter.reset()
        reply = await api.send(message(media_urls=[url]))
        assert reply.status == 400
        assert reason in reply.error["detail"]


async def test_slow_media_times_out_with_400(session: aiohttp.ClientSession, sink: Sink) -> None:
    sink.files["slow.png"] = (b"png", "image/png")
    sink.delay = 0.3
    async with run_simulator(media_fetch_timeout=0.05) as sim:
        reply = await Api(session, sim).send(message(media_urls=[sink.at("/files/slow.png")]))
        assert reply.status == 400
        assert "timed out" in reply.error["detail"]


async def test_inbound_media_is_served_by_the_simulator(api: Api) -> None:
    own = b"GIF89a-bytes-from-the-test"
    reply = await api.control(
        "POST",
        "/inbound",
        {
            "from": HANDSET,
            "to": NUMBER,
            "media": [
                {},
                {
                    "mime_type": "image/gif",
                    "file_name": "cat.gif",
                    "content_base64": base64.b64encode(own).decode(),
                },
            ],
        },
    )
    assert reply.status == 201
    generated_url, own_url = reply.body["media_urls"]
    async with api.session.get(generated_url) as response:
        assert response.content_type == "image/png"
        assert (await response.read()).startswith(b"\x89PNG\r\n\x1a\n")
    async with api.session.get(own_url) as response:
        assert response.content_type == "image/gif"
        assert await response.read() == own
    missing = await api.control("GET", "/media/m-nothing")
    assert missing.status == 404


async def test_python_inbound_media(api: Api) -> None:
    record = api.sim.inject_inbound(
        from_=HANDSET, to=NUMBER, media=[InboundMedia(content=b"abc", mime_type="text/plain")]
    )
    [media] = record.media
    assert (media.size, media.file_name) == (3, "IMG_0001.txt")
    async with api.session.get(media.url) as response:
        assert await response.read() == b"abc"

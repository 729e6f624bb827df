"""Callback registration, inbound SMS/MMS/legacy posts, and Flowroute's four retries."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from simulator import CallbackEvent, InboundMedia, run_simulator

from .helpers import HANDSET, NUMBER, NUMBER_2, Api, Sink, closed_port

if TYPE_CHECKING:
    import aiohttp

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\dZ")


@pytest.mark.parametrize(
    "kind", ["sms_callback", "mms_callback", "sms_dlr_callback", "mms_dlr_callback"]
)
async def test_number_callbacks_are_set(api: Api, kind: str) -> None:
    reply = await api.set_number_callback(NUMBER, kind, "https://ha.example.org/api/webhook/abc")
    assert reply.status == 204
    assert reply.body is None
    accounts = await api.control("GET", "/accounts")
    [number] = [n for n in accounts.body["accounts"][0]["numbers"] if n["number"] == NUMBER]
    assert number["callbacks"] == {kind: "https://ha.example.org/api/webhook/abc"}


async def test_account_callbacks_are_set(api: Api) -> None:
    reply = await api.set_account_callback("sms_callback", "https://ha.example.org/hook")
    assert reply.status == 204
    accounts = await api.control("GET", "/accounts")
    assert accounts.body["accounts"][0]["callbacks"] == {
        "sms_callback": "https://ha.example.org/hook"
    }


async def test_callback_registration_errors(api: Api) -> None:
    unknown_kind = await api.set_number_callback(NUMBER, "voice_callback", "https://a.example")
    assert unknown_kind.status == 404
    assert "sms_callback" in unknown_kind.error["detail"]
    not_ours = await api.set_number_callback("12065550123", "sms_callback", "https://a.example")
    assert not_ours.status == 404
    no_url = await api.set_number_callback(NUMBER, "sms_callback", "not-a-url")
    assert no_url.status == 400
    wrong_shape = await api.call(
        "POST", f"/v2/numbers/{NUMBER}/relationships/sms_callback", json_body={"url": "x"}
    )
    assert wrong_shape.status == 400
    wrong_type = await api.call(
        "PUT", "/v2.1/messages/sms_callback", data=b"callback_url=x", content_type="text/plain"
    )
    assert wrong_type.status == 415
    unknown_account_kind = await api.set_account_callback("nonsense", "https://a.example")
    assert unknown_account_kind.status == 404


async def test_inbound_sms_post_has_the_documented_shape(api: Api, sink: Sink) -> None:
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    record = api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="Hello")
    await api.sim.idle()
    [post] = sink.bodies("/sms")
    attributes = post["data"]["attributes"]
    assert TIMESTAMP.fullmatch(attributes.pop("timestamp"))
    assert post["data"]["id"] == record.message_id
    assert post["data"]["type"] == "message"
    assert attributes == {
        "amount_display": "$0.0040",
        "amount_nanodollars": "4000000",
        "body": "Hello",
        "direction": "inbound",
        "from": HANDSET,
        "is_mms": False,
        "message_callback_url": sink.at("/sms"),
        "message_encoding": 0,
        "message_type": "longcode",
        "status": "delivered",
        "to": NUMBER,
    }
    [attempt] = api.sim.state.callback_log
    assert (attempt.event, attempt.status, attempt.attempt) == (CallbackEvent.INBOUND, 200, 1)


async def test_inbound_unicode_sms_is_ucs2(api: Api, sink: Sink) -> None:
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="Déjà vu 😀")
    await api.sim.idle()
    [post] = sink.bodies("/sms")
    assert post["data"]["attributes"]["message_encoding"] == 8


async def test_inbound_mms_post_has_media_relationships_and_included(api: Api, sink: Sink) -> None:
    await api.set_number_callback(NUMBER, "mms_callback", sink.at("/mms"))
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    record = api.sim.inject_inbound(
        from_=HANDSET, to=NUMBER, media=[InboundMedia(), InboundMedia()], smil=True
    )
    await api.sim.idle()
    assert sink.bodies("/sms") == []
    [post] = sink.bodies("/mms")
    data = post["data"]
    attributes = data["attributes"]
    assert TIMESTAMP.fullmatch(attributes.pop("timestamp"))
    assert attributes == {
        "body": None,
        "is_mms": True,
        "direction": "inbound",
        "from": HANDSET,
        "to": NUMBER,
        "amount_nanodollars": 19_500_000,
        "delivery_receipts": [],
        "message_encoding": 0,
        "message_type": "longcode",
        "status": "",
    }
    ids = [media.media_id for media in record.media]
    assert data["relationships"]["media"]["data"] == [{"id": i, "type": "media"} for i in ids]
    included = post["included"]
    assert [item["id"] for item in included] == ids
    picture, _, smil = included
    assert picture["type"] == "media"
    assert picture["attributes"]["mime_type"] == "image/png"
    assert picture["attributes"]["file_name"] == "IMG_0001.png"
    assert picture["links"]["self"] == f"{api.sim.url}/v2.2/media/{ids[0]}"
    assert smil["attributes"]["mime_type"] == "application/smil"
    async with api.session.get(picture["attributes"]["url"]) as response:
        content = await response.read()
    assert len(content) == picture["attributes"]["file_size"]


async def test_legacy_inbound_posts(api: Api, sink: Sink) -> None:
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    await api.set_number_callback(NUMBER, "mms_callback", sink.at("/mms"))
    sms = api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="old style", legacy=True)
    reply = await api.control(
        "POST", "/inbound", {"from": HANDSET, "to": NUMBER, "media": [{}], "legacy": True}
    )
    await api.sim.idle()
    assert sink.bodies("/sms") == [
        {"to": NUMBER, "from": HANDSET, "body": "old style", "id": sms.message_id}
    ]
    assert sink.bodies("/mms") == [
        {
            "to": NUMBER,
            "from": HANDSET,
            "body": None,
            "id": reply.body["id"],
            "is_mms": True,
            "media_urls": reply.body["media_urls"],
        }
    ]


async def test_account_callback_is_the_fallback(api: Api, sink: Sink) -> None:
    await api.set_account_callback("sms_callback", sink.at("/account"))
    await api.set_number_callback(NUMBER_2, "sms_callback", sink.at("/number"))
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="to the account")
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER_2, body="to the number")
    await api.sim.idle()
    assert [p["data"]["attributes"]["body"] for p in sink.bodies("/account")] == ["to the account"]
    assert [p["data"]["attributes"]["body"] for p in sink.bodies("/number")] == ["to the number"]


async def test_no_callback_no_post(api: Api) -> None:
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="nobody listens")
    await api.sim.idle()
    assert api.sim.state.callback_log == []
    assert len(api.sim.state.inbound_messages()) == 1


@pytest.mark.parametrize("status", [500, 404, 204, 302])
async def test_a_callback_not_answering_200_is_tried_five_times(
    api: Api, sink: Sink, status: int
) -> None:
    sink.statuses["/sms"] = [status] * 10
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    record = api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="retry me")
    await api.sim.idle()
    assert len(sink.bodies("/sms")) == 5
    assert all(body["data"]["id"] == record.message_id for body in sink.bodies("/sms"))
    log = api.sim.state.callback_log
    assert [(entry.attempt, entry.status) for entry in log] == [(n, status) for n in range(1, 6)]


async def test_retries_stop_at_the_first_200(api: Api, sink: Sink) -> None:
    sink.statuses["/sms"] = [503, 500]
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="third time lucky")
    await api.sim.idle()
    assert [entry.status for entry in api.sim.state.callback_log] == [503, 500, 200]


async def test_retry_interval_and_timeouts(session: aiohttp.ClientSession, sink: Sink) -> None:
    sink.delay = 0.2
    async with run_simulator(callback_timeout=0.05, callback_retry_interval=0.01) as sim:
        api = Api(session, sim)
        await api.set_number_callback(NUMBER, "sms_callback", sink.at("/slow"))
        sim.inject_inbound(from_=HANDSET, to=NUMBER, body="too slow")
        await sim.idle()
        log = sim.state.callback_log
        assert [(entry.status, entry.error) for entry in log] == [(None, "timed out")] * 5


async def test_unreachable_callback_is_logged(api: Api) -> None:
    await api.set_number_callback(
        NUMBER, "sms_callback", f"http://127.0.0.1:{closed_port()}/nothing"
    )
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="into the void")
    await api.sim.idle()
    log = api.sim.state.callback_log
    assert len(log) == 5
    assert all(entry.status is None and entry.error for entry in log)

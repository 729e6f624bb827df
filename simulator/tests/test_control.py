"""The /sim/ control API: inbound injection, what happened, settings, reset, auto-reply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator import run_simulator

from .helpers import DISABLED_NUMBER, HANDSET, NUMBER, Api, Sink, message

if TYPE_CHECKING:
    import aiohttp


async def test_inbound_is_validated(api: Api) -> None:
    for body, detail in (
        ({"to": NUMBER, "body": "hi"}, "from is required"),
        ({"from": HANDSET, "body": "hi"}, "to is required"),
        ({"from": "+12065550100", "to": NUMBER, "body": "hi"}, "must not start with '+'"),
        ({"from": HANDSET, "to": "12065550123", "body": "hi"}, "not a number of any"),
        ({"from": HANDSET, "to": DISABLED_NUMBER, "body": "hi"}, "not enabled for messaging"),
        ({"from": HANDSET, "to": NUMBER}, "an SMS needs a body"),
        ({"from": HANDSET, "to": NUMBER, "body": 5}, "body must be a str"),
        ({"from": HANDSET, "to": NUMBER, "legacy": "yes", "body": "x"}, "legacy must be a bool"),
        ({"from": HANDSET, "to": NUMBER, "media": ["x"]}, "media item must be an object"),
        (
            {"from": HANDSET, "to": NUMBER, "media": [{"content_base64": "%%%"}]},
            "not valid base64",
        ),
        (
            {"from": HANDSET, "to": NUMBER, "media": [{"mime_type": "image/png\r\nX-Evil: 1"}]},
            "mime_type must look like type/subtype",
        ),
    ):
        reply = await api.control("POST", "/inbound", body)
        assert reply.status == 400, body
        assert detail in reply.error["detail"], body
    not_json = await api.call(
        "POST", "/sim/inbound", data=b"[1, 2", anonymous=True, content_type="application/json"
    )
    assert not_json.status == 400
    not_object = await api.control("POST", "/inbound", [1, 2])
    assert not_object.status == 400


async def test_messages_and_attempts(api: Api) -> None:
    await api.send()
    await api.send(message(to="+1"))
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="hi")
    everything = await api.control("GET", "/messages")
    assert [item["direction"] for item in everything.body["messages"]] == [
        "outbound",
        "inbound",
    ]
    assert [attempt["status"] for attempt in everything.body["attempts"]] == [202, 400]
    sent = await api.control("GET", "/messages?direction=outbound")
    [record] = sent.body["messages"]
    assert record["to"] == HANDSET
    assert (record["encoding"], record["segments"]) == ("GSM-7", 1)
    assert (await api.control("GET", "/messages?direction=sideways")).status == 400


async def test_callback_log(api: Api, sink: Sink) -> None:
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="logged")
    await api.sim.idle()
    reply = await api.control("GET", "/callbacks")
    [entry] = reply.body["callbacks"]
    assert (entry["event"], entry["url"], entry["status"], entry["attempt"]) == (
        "inbound",
        sink.at("/sms"),
        200,
        1,
    )
    assert entry["payload"]["data"]["attributes"]["body"] == "logged"


async def test_opt_outs_listing(api: Api) -> None:
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="STOP")
    reply = await api.control("GET", "/opt-outs")
    assert reply.body == {"opt_outs": [{"number": NUMBER, "handset": HANDSET}]}


async def test_settings_at_run_time(api: Api) -> None:
    assert (await api.control("POST", "/settings", {"opt_out_mode": "receipt"})).status == 204
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="STOP")
    assert (await api.send()).status == 202
    assert (await api.control("POST", "/settings", {"forward_stop": False})).status == 204
    assert api.sim.settings.forward_stop is False
    for bad in ({"opt_out_mode": "ignore"}, {"forward_stop": "no"}, {"sms_rate_limit": 9}):
        assert (await api.control("POST", "/settings", bad)).status == 400, bad


async def test_reset_forgets_all_but_accounts(api: Api, sink: Sink) -> None:
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    sink.statuses["/sms"] = [500] * 5
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="STOP")
    await api.send(message(to="12065550111"))
    await api.control("POST", "/faults", {"kind": "unavailable"})
    assert (await api.control("POST", "/reset")).status == 204
    state = api.sim.state
    assert (state.messages, state.opt_outs, state.number_callbacks, state.send_attempts) == (
        {},
        set(),
        {},
        [],
    )
    assert (await api.send()).status == 202  # faults are gone too
    assert len(state.accounts) == 1


async def test_auto_reply_for_the_demo(session: aiohttp.ClientSession, sink: Sink) -> None:
    async with run_simulator(auto_reply=True) as sim:
        api = Api(session, sim)
        await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
        await api.send(message(body="Is the garage closed?"))
        await sim.idle()
        [reply] = sink.bodies("/sms")
        attributes = reply["data"]["attributes"]
        assert (attributes["from"], attributes["to"]) == (HANDSET, NUMBER)
        assert "Is the garage closed?" in attributes["body"]

"""Faults: 503 windows, 429 storms, any status, slow replies, dropped connections, lost replies."""

from __future__ import annotations

import time

import aiohttp
import pytest

from simulator import Fault, FaultKind, FaultTarget, run_simulator

from .helpers import NUMBER, Api, ManualClock, Sink, message


async def test_503_window_by_duration(session: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    async with run_simulator(monotonic=clock) as sim:
        api = Api(session, sim)
        sim.add_fault(Fault(kind=FaultKind.UNAVAILABLE, duration=30))
        reply = await api.send()
        assert reply.status == 503
        assert reply.error["title"] == "Service Unavailable"
        assert "no MDR id is created" in reply.error["detail"]
        clock.advance(29.9)
        assert (await api.get("/v2/numbers")).status == 503  # target "all" by default
        clock.advance(0.1)
        assert (await api.send()).status == 202
        assert len(sim.state.sent_messages()) == 1
        assert [attempt.fault for attempt in sim.state.send_attempts] == ["unavailable", None]


async def test_fault_by_count(api: Api) -> None:
    api.sim.add_fault(Fault(kind=FaultKind.UNAVAILABLE, count=2))
    assert [(await api.send()).status for _ in range(3)] == [503, 503, 202]


async def test_429_storm_with_retry_after(api: Api) -> None:
    api.sim.add_fault(Fault(kind=FaultKind.RATE_LIMITED, count=1, retry_after=3))
    reply = await api.send()
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "3"
    assert reply.error["title"] == "Too Many Requests"


@pytest.mark.parametrize(
    ("status", "detail"), [(500, "Simulated failure"), (422, {"to": ["is invalid"]})]
)
async def test_any_status_with_a_flowroute_body(
    api: Api, status: int, detail: str | dict[str, list[str]]
) -> None:
    api.sim.add_fault(
        Fault(kind=FaultKind.STATUS, status=status, detail=None if status == 500 else detail)
    )
    reply = await api.send()
    assert reply.status == status
    assert reply.error["detail"] == detail


async def test_targets(api: Api, sink: Sink) -> None:
    sink.files["a.png"] = (b"png", "image/png")
    api.sim.add_fault(Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.SEND_MMS))
    api.sim.add_fault(Fault(kind=FaultKind.STATUS, status=500, target=FaultTarget.RECORDS))
    assert (await api.send(message(media_urls=[sink.at("/files/a.png")]))).status == 503
    assert (await api.send()).status == 202
    assert (await api.get("/v2/numbers")).status == 200
    assert (await api.get("/v2.1/messages?start_date=2026-01-01")).status == 500
    api.sim.clear_faults()
    api.sim.add_fault(Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.NUMBERS))
    assert (await api.get("/v2/numbers")).status == 503
    assert (await api.send()).status == 202


async def test_slow_reply(api: Api) -> None:
    api.sim.add_fault(Fault(kind=FaultKind.SLOW, delay=0.2, count=1))
    started = time.monotonic()
    assert (await api.send()).status == 202
    assert time.monotonic() - started >= 0.2
    api.sim.add_fault(Fault(kind=FaultKind.SLOW, delay=0.3, count=1))
    with pytest.raises(TimeoutError):
        await api.send(time_limit=0.05)


async def test_dropped_connection_accepts_nothing(api: Api) -> None:
    api.sim.add_fault(Fault(kind=FaultKind.DROP, count=1))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.send()
    assert api.sim.state.sent_messages() == []
    [attempt] = api.sim.state.send_attempts
    assert (attempt.status, attempt.fault) == (None, "drop")
    assert (await api.send()).status == 202


async def test_lost_reply_accepts_the_message(api: Api, sink: Sink) -> None:
    api.sim.add_fault(Fault(kind=FaultKind.LOST_REPLY, target=FaultTarget.SENDS, count=1))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.send(message(body="did it go?", dlr_callback=sink.at("/dlr")))
    [record] = api.sim.state.sent_messages()
    assert api.sim.state.send_attempts[0].status == 202
    # The records API is how a client reconciles: the message is there.
    listed = await api.get("/v2.1/messages?start_date=2026-01-01")
    assert [item["id"] for item in listed.body["data"]] == [record.message_id]
    await api.sim.idle()
    assert len(sink.bodies("/dlr")) == 2


async def test_lost_reply_on_callback_registration(api: Api) -> None:
    api.sim.add_fault(Fault(kind=FaultKind.LOST_REPLY, target=FaultTarget.CALLBACKS, count=1))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.set_number_callback(NUMBER, "sms_callback", "https://ha.example.org/hook")
    assert api.sim.state.number_callbacks


async def test_shutdown_does_not_wait_for_a_slow_reply(session: aiohttp.ClientSession) -> None:
    started = time.monotonic()
    async with run_simulator() as sim:
        sim.add_fault(Fault(kind=FaultKind.SLOW, delay=30))
        with pytest.raises(TimeoutError):
            await Api(session, sim).send(time_limit=0.05)
    assert time.monotonic() - started < 2


def test_impossible_faults_are_refused() -> None:
    for options in ({"count": 0}, {"duration": 0}, {"status": 200}, {"delay": -1}):
        with pytest.raises(ValueError):
            Fault(kind=FaultKind.STATUS, **options)  # type: ignore[arg-type]


async def test_faults_over_the_control_api(api: Api) -> None:
    created = await api.control(
        "POST", "/faults", {"kind": "rate_limited", "target": "sends", "count": 2, "retry_after": 1}
    )
    assert created.status == 201
    listed = await api.control("GET", "/faults")
    assert listed.body["faults"] == [
        {
            "id": created.body["id"],
            "remaining": 2,
            "hits": 0,
            "kind": "rate_limited",
            "target": "sends",
            "count": 2,
            "duration": None,
            "status": 500,
            "retry_after": 1,
            "delay": 1.0,
            "detail": None,
        }
    ]
    assert (await api.send()).status == 429
    assert (await api.control("DELETE", "/faults")).status == 204
    assert (await api.send()).status == 202
    other = await api.control("POST", "/faults", {"kind": "unavailable"})
    assert (await api.send()).status == 503
    assert (await api.control("DELETE", f"/faults/{other.body['id']}")).status == 204
    assert (await api.control("DELETE", f"/faults/{other.body['id']}")).status == 404
    assert (await api.send()).status == 202
    for bad in (
        {"kind": "meteor"},
        {"target": "sends"},
        {"kind": "status", "status": 99},
        {"kind": "slow", "delay": "long"},
        {"kind": "slow", "count": True},
        {"kind": "slow", "when": "now"},
    ):
        assert (await api.control("POST", "/faults", bad)).status == 400, bad

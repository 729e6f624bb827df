"""Rate limits: 5 SMS and 1 MMS per sliding 1000 ms, per account, rejected attempts counting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator import DEFAULT_ACCOUNT, Account, MessageKind, basic_authorization, run_simulator

from .helpers import Api, ManualClock, Sink, message

if TYPE_CHECKING:
    import aiohttp


async def test_sixth_sms_in_a_second_gets_429_and_rejections_count(
    session: aiohttp.ClientSession,
) -> None:
    clock = ManualClock()
    async with run_simulator(monotonic=clock) as sim:
        api = Api(session, sim)
        for _ in range(5):
            assert (await api.send()).status == 202
        limited = await api.send()
        assert limited.status == 429
        assert limited.error["title"] == "Too Many Requests"
        assert "Retry-After" not in limited.headers  # Flowroute documents none

        clock.advance(0.5)
        assert (await api.send()).status == 429  # still within the window, and it counts
        clock.advance(0.5)  # the first six attempts leave the window; the one at 0.5 s stays
        statuses = [(await api.send()).status for _ in range(5)]
        assert statuses == [202, 202, 202, 202, 429]
        assert len(sim.state.sent_messages()) == 9


async def test_one_mms_per_second_separately_from_sms(
    session: aiohttp.ClientSession, sink: Sink
) -> None:
    clock = ManualClock()
    sink.files["a.png"] = (b"\x89PNG picture", "image/png")
    async with run_simulator(monotonic=clock) as sim:
        api = Api(session, sim)
        mms = message(media_urls=[sink.at("/files/a.png")])
        assert (await api.send(mms)).status == 202
        assert (await api.send(mms)).status == 429
        assert (await api.send(message(is_mms=True))).status == 429  # is_mms alone is MMS too
        assert (await api.send()).status == 202  # SMS has its own window
        clock.advance(1.0)
        assert (await api.send(mms)).status == 202
        kinds = [attempt.kind for attempt in sim.state.send_attempts]
        assert kinds == [MessageKind.MMS] * 3 + [MessageKind.SMS, MessageKind.MMS]


async def test_limits_are_per_account(session: aiohttp.ClientSession) -> None:
    other = Account.with_numbers("other", "other-secret", "13125550100")
    async with run_simulator([DEFAULT_ACCOUNT, other], monotonic=ManualClock()) as sim:
        api = Api(session, sim)
        for _ in range(6):
            await api.send()
        assert (await api.send()).status == 429
        other_auth = basic_authorization("other", "other-secret")
        reply = await api.send(message(from_="13125550100"), auth=other_auth)
        assert reply.status == 202


async def test_unauthenticated_attempts_do_not_count(session: aiohttp.ClientSession) -> None:
    async with run_simulator(monotonic=ManualClock()) as sim:
        api = Api(session, sim)
        for _ in range(10):
            assert (await api.send(anonymous=True)).status == 401
        assert [(await api.send()).status for _ in range(6)] == [202] * 5 + [429]


async def test_limits_are_configurable(session: aiohttp.ClientSession) -> None:
    async with run_simulator(sms_rate_limit=2, monotonic=ManualClock()) as sim:
        api = Api(session, sim)
        assert [(await api.send()).status for _ in range(3)] == [202, 202, 429]

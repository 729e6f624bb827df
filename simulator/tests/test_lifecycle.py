"""Shutting down cancels pending retries and receipts at once, leaving nothing behind."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from simulator import run_simulator, serve

from .helpers import HANDSET, NUMBER, Api, Sink, message

if TYPE_CHECKING:
    import aiohttp


async def test_exit_cancels_pending_retries_and_receipts(
    session: aiohttp.ClientSession, sink: Sink
) -> None:
    sink.statuses["/sms"] = [500] * 5
    started = time.monotonic()
    async with run_simulator(
        callback_retry_interval=30, level1_receipt_delay=30, level2_receipt_delay=60
    ) as sim:
        api = Api(session, sim)
        await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
        sim.inject_inbound(from_=HANDSET, to=NUMBER, body="retry in 30 s")
        await api.send(message(dlr_callback=sink.at("/dlr")))
        await asyncio.wait_for(sink.arrived.wait(), 2)
    assert time.monotonic() - started < 2
    assert len(sink.bodies("/sms")) == 1
    assert sink.bodies("/dlr") == []


async def test_a_stopped_simulator_can_be_served_again(session: aiohttp.ClientSession) -> None:
    async with run_simulator() as sim:
        assert (await Api(session, sim).send()).status == 202
    async with serve(sim):
        assert (await Api(session, sim).send()).status == 202
    assert len(sim.state.sent_messages()) == 2  # the state outlives the server

"""STOP from a handset blocks sends from that number (code 1110); UNSTOP and START lift it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from simulator import OptOutMode, run_simulator

from .helpers import HANDSET, NUMBER, NUMBER_2, OTHER_HANDSET, Api, Sink, message

if TYPE_CHECKING:
    import aiohttp


async def text_in(api: Api, body: str, *, from_: str = HANDSET, to: str = NUMBER) -> None:
    reply = await api.control("POST", "/inbound", {"from": from_, "to": to, "body": body})
    assert reply.status == 201


@pytest.mark.parametrize("stop", ["STOP", "stop", "  Stop \n"])
async def test_stop_blocks_that_number_to_that_handset(api: Api, stop: str) -> None:
    await text_in(api, stop)
    assert api.sim.state.opt_outs == {(NUMBER, HANDSET)}
    reply = await api.send(message(to=HANDSET, from_=NUMBER))
    assert reply.status == 400
    error = reply.error
    assert error["code"] == 1110
    assert error["title"] == "Bad Request"
    assert "opted out" in error["detail"]
    assert "1110" in error["detail"]
    assert api.sim.state.send_attempts[-1].error_code == 1110
    # Other handsets, and other numbers of the account, still reach them.
    assert (await api.send(message(to=OTHER_HANDSET, from_=NUMBER))).status == 202
    assert (await api.send(message(to=HANDSET, from_=NUMBER_2))).status == 202


@pytest.mark.parametrize("body", ["stop it please", "STOPALL", "please STOP"])
async def test_other_texts_do_not_opt_out(api: Api, body: str) -> None:
    await text_in(api, body)
    assert api.sim.state.opt_outs == set()
    assert (await api.send()).status == 202


@pytest.mark.parametrize("opt_in", ["UNSTOP", "start", " Start "])
async def test_unstop_and_start_lift_the_block(api: Api, opt_in: str) -> None:
    await text_in(api, "STOP")
    await text_in(api, opt_in)
    assert api.sim.state.opt_outs == set()
    assert (await api.send()).status == 202


async def test_stop_and_unstop_reach_the_callback(api: Api, sink: Sink) -> None:
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    await text_in(api, "STOP")
    await text_in(api, "UNSTOP")
    await api.sim.idle()
    bodies = [post["data"]["attributes"]["body"] for post in sink.bodies("/sms")]
    assert bodies == ["STOP", "UNSTOP"]


async def test_stop_can_be_kept_from_the_callback(api: Api, sink: Sink) -> None:
    api.sim.settings = dataclasses.replace(api.sim.settings, forward_stop=False)
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    await text_in(api, "STOP")
    await api.sim.idle()
    assert sink.posts == []
    assert api.sim.state.opt_outs == {(NUMBER, HANDSET)}


async def test_opt_out_as_a_failed_receipt(session: aiohttp.ClientSession, sink: Sink) -> None:
    async with run_simulator(opt_out_mode=OptOutMode.RECEIPT) as sim:
        api = Api(session, sim)
        await text_in(api, "STOP")
        reply = await api.send(message(dlr_callback=sink.at("/dlr")))
        assert reply.status == 202
        await sim.idle()
        levels = [post["data"]["attributes"] for post in sink.bodies("/dlr")]
        assert [(item["level"], item["status"], item["status_code"]) for item in levels] == [
            (1, "smsc submit", None),
            (2, "delivery failure", 1110),
        ]
        assert levels[1]["status_code_description"] == "User opted out"

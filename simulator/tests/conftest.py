"""Fixtures for the simulator's tests: real HTTP on 127.0.0.1, a callback sink."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web

from simulator import RunningSimulator, run_simulator

from .helpers import Api, Sink

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Every test here talks real HTTP over 127.0.0.1."""


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with run_simulator() as simulator:
        yield simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def api(session: aiohttp.ClientSession, sim: RunningSimulator) -> Api:
    return Api(session, sim)


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    receiver = Sink()
    app = web.Application()
    app.router.add_post("/{tail:.*}", receiver.handle_post)
    app.router.add_get("/files/{name}", receiver.handle_file)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield receiver
    await runner.cleanup()

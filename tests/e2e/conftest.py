"""Fixtures of the end-to-end tests: a real Home Assistant process and the simulator.

Each test module gets one of each (Home Assistant takes seconds to start): the process
runs from a temporary config folder, the simulator is served by the test process on the
module's event loop. Tests mark themselves `pytest.mark.asyncio(loop_scope="module")`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
import pytest_socket

from demo.configure import add_flowroute
from demo.hass import HassProcess
from simulator.testing import run_simulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from simulator.testing import RunningSimulator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the integration tests' autouse fixture: Home Assistant runs elsewhere here."""


@pytest.fixture(autouse=True)
def verify_cleanup() -> None:
    """Override the plugin's check of the in-process Home Assistant's loop, threads and timers.

    Home Assistant runs in a subprocess here, the tests on the module's loop (which the
    plugin's check, asking for a loop per test, would refuse on 2025.4); the module
    fixtures stop the process and the simulator themselves.
    """


@pytest.fixture(autouse=True)
def enable_event_loop_debug() -> None:
    """Override the plugin's fixture: it would ask for a loop per test (2025.4)."""


@pytest.fixture(autouse=True)
def loopback(socket_enabled: None) -> None:
    """Let each test reach Home Assistant and the simulator (127.0.0.1 only, as everywhere)."""


@pytest.fixture(scope="module")
def module_loopback() -> None:
    """Let the module's fixtures open sockets: they start before any test's `socket_enabled`."""
    pytest_socket.enable_socket()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def simulator(module_loopback: None) -> AsyncIterator[RunningSimulator]:
    """The Flowroute simulator, with fast receipts; callbacks retried every second."""
    async with run_simulator(callback_retry_interval=1.0) as running:
        yield running


@pytest.fixture(scope="module")
def expected_log_problems() -> list[str]:
    """Texts of error records the module's tests provoke on purpose, to be let through."""
    return []


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hass_process(
    module_loopback: None,
    tmp_path_factory: pytest.TempPathFactory,
    expected_log_problems: list[str],
) -> AsyncIterator[HassProcess]:
    """Home Assistant with the integration, onboarded; its log must stay free of problems.

    Checked once it stopped, so that errors while stopping count too.
    """
    hass = HassProcess(tmp_path_factory.mktemp("hass"))
    async with hass:
        yield hass
    problems = [
        problem
        for problem in hass.log_problems()
        if not any(expected in problem for expected in expected_log_problems)
    ]
    assert not problems, "Home Assistant logged problems:\n\n" + "\n\n".join(problems)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def flowroute_entry(hass_process: HassProcess, simulator: RunningSimulator) -> str:
    """The simulator's account, added through the config flow as the UI does; its entry id."""
    return await add_flowroute(hass_process, simulator.url)

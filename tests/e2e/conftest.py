"""Fixtures of the end-to-end tests: a real Home Assistant process and the simulator.

Each test module gets one of each (Home Assistant takes seconds to start): the process
runs from a temporary config folder, the simulator is served by the test process on the
module's event loop. Tests mark themselves `pytest.mark.asyncio(loop_scope="module")`.

Home Assistant runs from this test process's interpreter, or from the one named by
FLOWROUTE_E2E_HASS_PYTHON (scripts/test --newest: the newest release in .venv-newest,
while the tests stay in .venv). A module that starts its own HassProcess passes it
`python=hass_python`.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pytest
import pytest_asyncio
import pytest_socket

from demo.configure import add_flowroute
from demo.hass import HassProcess
from simulator.testing import run_simulator

from .browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, TIMEOUT_MS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from playwright.async_api import Browser, Page

    from simulator.testing import RunningSimulator

HASS_PYTHON_VARIABLE: Final = "FLOWROUTE_E2E_HASS_PYTHON"
VERSION_TIMEOUT: Final = 120.0  # importing homeassistant.const on a busy machine


@dataclass(frozen=True, slots=True)
class HassPython:
    """The interpreter the Home Assistant processes run from, and the version it has."""

    executable: str
    version: str


@functools.cache
def hass_python_info() -> HassPython:
    """Read FLOWROUTE_E2E_HASS_PYTHON (else this interpreter) and its Home Assistant version."""
    executable = os.environ.get(HASS_PYTHON_VARIABLE) or sys.executable
    try:
        found = subprocess.run(  # noqa: S603 - the interpreter the tester named
            [executable, "-c", "from homeassistant.const import __version__; print(__version__)"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as err:
        detail = getattr(err, "stderr", None) or err
        raise pytest.UsageError(
            f"{HASS_PYTHON_VARIABLE}={executable} cannot run Home Assistant: {detail}"
        ) from err
    return HassPython(executable, found.stdout.strip())


def pytest_report_header() -> str:
    """Say which Home Assistant the end-to-end tests start (scripts/test --newest prints it)."""
    info = hass_python_info()
    return f"end-to-end Home Assistant: {info.version} ({info.executable})"


@pytest.fixture(scope="session")
def hass_python() -> str:
    """The interpreter to start Home Assistant with (FLOWROUTE_E2E_HASS_PYTHON, else this one)."""
    return hass_python_info().executable


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
    hass_python: str,
) -> AsyncIterator[HassProcess]:
    """Home Assistant with the integration, onboarded; its log must stay free of problems.

    It runs the version `hass_python` has installed. The log is checked once it stopped,
    so that errors while stopping count too; deprecation warnings naming the integration
    count as problems.
    """
    hass = HassProcess(tmp_path_factory.mktemp("hass"), python=hass_python)
    async with hass:
        running = (await hass.get("/api/config"))["version"]
        installed = hass_python_info().version
        assert running == installed, f"{hass_python} has {installed}, but {running} answered"
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


# The browser: only modules that skip themselves without Playwright use these.


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium; scripts/setup installs it, so its absence is a failure."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/setup (it installs chromium)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return CHROMIUM


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """Chromium, headless, for the module."""
    # Imported here: the floor toolchain has no Playwright, and its modules skip.
    from playwright.async_api import async_playwright  # noqa: PLC0415

    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def page(browser: Browser) -> AsyncIterator[Page]:
    """One tab for the module: the frontend keeps its login in it."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = await context.new_page()
    yield tab
    await context.close()

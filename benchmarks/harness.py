"""What the benchmarks share: a Home Assistant with the integration, timing, the table.

Every benchmark measures a figure and a baseline in the same run and reports their ratio:
the machines these run on are shared and noisy, so absolute times are only context.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from homeassistant import bootstrap, config_entries, loader
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.setup import async_setup_component

from custom_components.flowroute.const import (
    CONF_ACCESS_KEY,
    CONF_BASE_URL,
    CONF_DEFAULT_FROM,
    CONF_MMS_RATE,
    CONF_NUMBERS,
    CONF_RETRY_HORIZON,
    CONF_SECRET_KEY,
    CONF_SMS_RATE,
    DEFAULT_MMS_RATE,
    DEFAULT_RETRY_HORIZON_HOURS,
    DEFAULT_SMS_RATE,
    DOMAIN,
)
from demo.hass import free_port
from simulator.testing import run_simulator

if TYPE_CHECKING:
    import asyncio
    from collections.abc import (
        AsyncIterator,
        Awaitable,
        Callable,
        Coroutine,
        Iterable,
        Sequence,
    )

    from simulator.testing import RunningSimulator

# The entry's webhook id (any 32 hex digits; the config flow makes a random one).
WEBHOOK_ID = "0123456789abcdef0123456789abcdef"


def quiet_logging() -> None:
    """Show errors only: start-up warnings (untested custom integration, zlib) are noise here."""
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")


def percentile(values: Iterable[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def timed(action: Callable[[], Awaitable[Any]]) -> float:
    """Return how many seconds `action()` took."""
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def interleaved_medians(
    measurements: Sequence[Callable[[], Awaitable[float]]], runs: int
) -> list[float]:
    """Call every measurement `runs` times and return the median seconds of each.

    A measurement does its own set-up and tear-down and returns the seconds it timed.
    The order rotates every run, so drift and cache warmth are shared out.
    """
    seconds: list[list[float]] = [[] for _ in measurements]
    for run in range(runs):
        for offset in range(len(measurements)):
            index = (run + offset) % len(measurements)
            seconds[index].append(await measurements[index]())
    return [statistics.median(values) for values in seconds]


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table."""

    name: str
    figure: str
    baseline: str
    ratio: float
    goal: str = "-"


def table(rows: Iterable[Row]) -> str:
    """Format rows as a Markdown table (readable in a terminal, pasteable in the README)."""
    header = ("benchmark", "figure", "baseline", "ratio", "goal")
    cells = [header, *((r.name, r.figure, r.baseline, f"{r.ratio:.2f}", r.goal) for r in rows)]
    widths = [max(len(line[column]) for line in cells) for column in range(len(header))]

    def line(values: tuple[str, ...]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    separator = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(cells[0]), separator, *(line(values) for values in cells[1:])])


def ms(seconds: float) -> str:
    """Format a duration in milliseconds."""
    return f"{seconds * 1000:.2f} ms" if seconds < 0.01 else f"{seconds * 1000:.1f} ms"


@dataclass
class FakeEntry:
    """What the integration's building blocks use of a config entry, without Home Assistant's.

    For benchmarks of one block (outbox, pipeline, opt-out list) on their own.
    """

    entry_id: str = "benchmark"
    title: str = "Flowroute benchmark"
    data: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    subentries: dict[str, Any] = field(default_factory=dict)
    on_unload: list[Callable[[], Any]] = field(default_factory=list)

    def async_on_unload(self, func: Callable[[], Any]) -> None:
        """Keep what the entry would run on unload."""
        self.on_unload.append(func)

    def async_create_background_task[R](
        self,
        hass: HomeAssistant,
        target: Coroutine[Any, Any, R],
        name: str,
        eager_start: bool = True,
    ) -> asyncio.Task[R]:
        """Start a task the way a config entry does."""
        return hass.async_create_background_task(target, name, eager_start)

    async def async_unload(self) -> None:
        """Run what was registered with async_on_unload, last first."""
        for func in reversed(self.on_unload):
            if (result := func()) is not None:
                await result


async def async_build_hass(config_dir: str, port: int) -> HomeAssistant:
    """Build a Home Assistant with http (on 127.0.0.1:`port`) and webhook; not started.

    What bootstrap does before integrations, minus logging and the default integrations.
    Its external URL is its own address, as when Flowroute can reach it.
    """
    hass = HomeAssistant(config_dir)
    hass.config.skip_pip = True  # never install anything while measuring
    loader.async_setup(hass)
    hass.config_entries = config_entries.ConfigEntries(hass, {})
    await bootstrap.async_load_base_functionality(hass)
    await async_process_ha_core_config(hass, {"external_url": f"http://127.0.0.1:{port}"})
    http = {"server_host": ["127.0.0.1"], "server_port": port}
    for domain, config in (("http", {"http": http}), ("webhook", {})):
        if not await async_setup_component(hass, domain, config):
            raise SystemExit(f"{domain} did not set up")
    return hass


def flowroute_entry(sim: RunningSimulator) -> ConfigEntry:
    """Return a config entry for the simulator's account, as the config flow makes it.

    Data and options like tests/conftest.py: both messaging numbers, default limits.
    """
    account = sim.account
    numbers = [number.number for number in account.numbers if number.messaging_enabled]
    return ConfigEntry(
        domain=DOMAIN,
        title="Flowroute benchmark",
        data={
            CONF_ACCESS_KEY: account.access_key,
            CONF_SECRET_KEY: account.secret_key,
            CONF_NUMBERS: numbers,
            CONF_BASE_URL: sim.url,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
        options={
            CONF_DEFAULT_FROM: numbers[0],
            CONF_SMS_RATE: DEFAULT_SMS_RATE,
            CONF_MMS_RATE: DEFAULT_MMS_RATE,
            CONF_RETRY_HORIZON: DEFAULT_RETRY_HORIZON_HOURS,
        },
        source=config_entries.SOURCE_USER,
        unique_id=account.access_key,
        version=1,
        minor_version=1,
        discovery_keys=MappingProxyType({}),
        subentries_data=None,
    )


def core_entry(domain: str, title: str) -> ConfigEntry:
    """Return a config entry of a core integration that needs no data (e.g. sun)."""
    return ConfigEntry(
        domain=domain,
        title=title,
        data={},
        options={},
        source=config_entries.SOURCE_USER,
        unique_id=None,
        version=1,
        minor_version=1,
        discovery_keys=MappingProxyType({}),
        subentries_data=None,
    )


async def async_add_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Add and set up `entry`; stop the benchmark if it did not load."""
    await hass.config_entries.async_add(entry)
    await hass.async_block_till_done()
    if entry.state is not ConfigEntryState.LOADED:
        raise SystemExit(f"the {entry.domain} entry did not load: {entry.state}")


@dataclass(frozen=True, slots=True)
class FlowrouteHass:
    """A started Home Assistant with a loaded Flowroute entry for the simulator's account."""

    hass: HomeAssistant
    entry: ConfigEntry
    sim: RunningSimulator
    url: str  # Home Assistant's own base URL (http://127.0.0.1:port)
    first_setup: float  # seconds the first setup took (imports, async_setup, registries)


@asynccontextmanager
async def flowroute_hass() -> AsyncIterator[FlowrouteHass]:
    """Run the simulator and a Home Assistant on loopback with the integration set up.

    The entry is set up before Home Assistant starts, as at boot: the integration
    registers HTTP views, which must exist before the server starts.
    """
    port = free_port()
    async with run_simulator() as sim:
        with tempfile.TemporaryDirectory() as config_dir:
            hass = await async_build_hass(config_dir, port)
            entry = flowroute_entry(sim)
            first_setup = await timed(lambda: async_add_entry(hass, entry))
            await hass.async_start()
            try:
                yield FlowrouteHass(hass, entry, sim, f"http://127.0.0.1:{port}", first_setup)
            finally:
                await hass.async_stop()

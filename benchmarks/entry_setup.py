"""Time setting up the Flowroute config entry, against core's sun and one API round trip.

One Home Assistant holds a Flowroute entry for the simulator's account (two numbers:
two devices, 16 entities) and a sun entry (a core config-entry integration: one device,
binary_sensor and sensor platforms). Each run unloads an entry, then times
`hass.config_entries.async_setup` on it; the first setup (the integration's async_setup,
its platforms' components, new registry entries) is printed but not compared. A second baseline is
one `list_numbers` round trip to the simulator, which Flowroute's setup must make.

    python benchmarks/entry_setup.py [--runs 25]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import (
    Row,
    async_add_entry,
    core_entry,
    flowroute_hass,
    interleaved_medians,
    ms,
    quiet_logging,
    table,
    timed,
)

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


@dataclass(frozen=True, slots=True)
class EntrySetupResult:
    """Median setup times of the two entries and of one API round trip."""

    runs: int
    first_setup: float
    flowroute: float
    sun: float
    list_numbers: float

    def details(self) -> list[str]:
        """Describe the run."""
        return [
            f"config entry setup, median of {self.runs} unload/setup cycles",
            f"Flowroute first setup:     {ms(self.first_setup)} (with async_setup, registries)",
            f"Flowroute entry setup:     {ms(self.flowroute)}",
            f"sun entry setup:           {ms(self.sun)}",
            f"list_numbers round trip:   {ms(self.list_numbers)}",
        ]

    def rows(self) -> list[Row]:
        """Return the table rows: against sun, against the round trip."""
        return [
            Row(
                "config entry setup, Flowroute vs core's sun",
                ms(self.flowroute),
                ms(self.sun),
                self.flowroute / self.sun,
            ),
            Row(
                "config entry setup, Flowroute vs one list_numbers round trip",
                ms(self.flowroute),
                ms(self.list_numbers),
                self.flowroute / self.list_numbers,
            ),
        ]


async def setup_cycle(hass: HomeAssistant, entry: ConfigEntry) -> float:
    """Unload the entry (not timed), then time setting it up again."""
    if not await hass.config_entries.async_unload(entry.entry_id):
        raise SystemExit(f"the {entry.domain} entry did not unload")
    await hass.async_block_till_done()

    async def setup() -> None:
        if not await hass.config_entries.async_setup(entry.entry_id):
            raise SystemExit(f"the {entry.domain} entry did not set up: {entry.state}")

    seconds = await timed(setup)
    await hass.async_block_till_done()
    return seconds


async def measure(runs: int = 25) -> EntrySetupResult:
    """Set both entries up once, then time `runs` unload/setup cycles of each."""
    async with flowroute_hass() as running:
        hass, entry = running.hass, running.entry
        sun = core_entry("sun", "Sun")
        await async_add_entry(hass, sun)

        async def list_numbers() -> float:
            return await timed(entry.runtime_data.client.list_numbers)

        flowroute_seconds, sun_seconds, list_seconds = await interleaved_medians(
            [
                lambda: setup_cycle(hass, entry),
                lambda: setup_cycle(hass, sun),
                list_numbers,
            ],
            runs,
        )
    return EntrySetupResult(runs, running.first_setup, flowroute_seconds, sun_seconds, list_seconds)


def main() -> None:
    """Parse the arguments, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25, help="setups of each entry (25)")
    args = parser.parse_args()
    quiet_logging()
    result = asyncio.run(measure(args.runs))
    print("\n".join(result.details()))
    print()
    print(table(result.rows()))


if __name__ == "__main__":
    main()

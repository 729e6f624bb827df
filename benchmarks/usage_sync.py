"""Sync a month of message records, against one raw paged listing of the same records.

The simulator is seeded with a month of records (50,000 by default, over November up to
the 30th at 18:00 UTC, which stands for "now"). The usage coordinator's first read (every
page over HTTP, parsed into typed records, counted, its totals stored) is timed against a
raw listing of the same window with the same page size from the same simulator in the
same process: the same requests, each page's JSON decoded and `links.next` followed,
nothing else. Goal: within 1.5x.

Then the memory the coordinator keeps once the read is over (everything its totals, its
cursor and its remembered ids hold, object by object), after a month of 5,000 records and
of 50,000 (a tenth of the records, a fifth with --quick). Both months end with the same
last hour of texts, so the overlap holds as many ids in both. Goal: the same for both:
only the ids inside the overlap and the totals of the day and the month are kept.
(tracemalloc also finds, under the read, yarl's cache of the pages' URLs and the loop's
cancelled timers: bounded caches of the libraries, not the coordinator's.)

    python benchmarks/usage_sync.py [--records 50000] [--runs 5] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import count
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from harness import FakeEntry, Row, interleaved_medians, ms, quiet_logging, table, timed
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from orjson import loads

from custom_components.flowroute.api import FlowrouteClient
from custom_components.flowroute.const import CONF_NUMBERS
from custom_components.flowroute.usage import PAGE_SIZE, UsageCoordinator
from simulator.seeding import SeedPlan
from simulator.testing import run_simulator

if TYPE_CHECKING:
    from simulator.testing import RunningSimulator

NOW = datetime(2026, 11, 30, 18, tzinfo=UTC)
MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
LAST_HOUR = 60  # records in the month's last hour, whatever its size


@dataclass(frozen=True, slots=True)
class UsageSyncResult:
    """Median sync and raw listing times, and the memory kept after two month sizes."""

    records: int
    runs: int
    pages: int
    sync_seconds: float
    raw_seconds: float
    small: int
    kept_small: int
    kept_large: int

    def details(self) -> list[str]:
        """Describe the run."""
        return [
            (
                f"a month of {self.records:,} records, {self.pages} pages of {PAGE_SIZE},"
                f" median of {self.runs} runs"
            ),
            f"coordinator's first read:  {ms(self.sync_seconds)}",
            f"raw paged listing:         {ms(self.raw_seconds)}",
            (
                f"kept after the read:       {self.kept_large / 1024:.1f} KiB"
                f" ({self.records:,} records), {self.kept_small / 1024:.1f} KiB"
                f" ({self.small:,} records)"
            ),
        ]

    def rows(self) -> list[Row]:
        """Return the table rows: time against the listing, memory against a smaller month."""
        return [
            Row(
                f"usage sync, a month of {self.records:,} records vs a raw paged listing",
                ms(self.sync_seconds),
                ms(self.raw_seconds),
                self.sync_seconds / self.raw_seconds,
                "within 1.5x",
            ),
            Row(
                f"usage memory kept, {self.records:,} vs {self.small:,} records",
                f"{self.kept_large / 1024:.1f} KiB",
                f"{self.kept_small / 1024:.1f} KiB",
                self.kept_large / self.kept_small,
                "1 (independent of the month)",
            ),
        ]


class Bench:
    """A bare Home Assistant, a session, and fresh coordinators for one simulator."""

    def __init__(
        self, hass: HomeAssistant, session: aiohttp.ClientSession, sim: RunningSimulator
    ) -> None:
        """Keep what every run shares."""
        self.hass = hass
        self.session = session
        self.sim = sim
        self.client = FlowrouteClient(
            sim.account.access_key, sim.account.secret_key, session=session, base_url=sim.url
        )
        self._entries = count()

    def seed(self, records: int) -> None:
        """Replace the simulator's records with a month of `records`, the last hour's fixed."""
        self.sim.state.reset()
        hour = timedelta(hours=1)
        days = (NOW - hour - MONTH_START) / timedelta(days=1)
        self.sim.seed_records(
            SeedPlan(count=records - LAST_HOUR, days=days, end=NOW - hour, seed=1)
        )
        self.sim.seed_records(
            SeedPlan(count=LAST_HOUR, days=hour / timedelta(days=1), end=NOW, seed=2)
        )

    async def coordinator(self) -> UsageCoordinator:
        """Return a coordinator that has read nothing yet (a new entry: nothing stored)."""
        numbers = [n.number for n in self.sim.account.numbers if n.messaging_enabled]
        entry: Any = FakeEntry(
            entry_id=f"usage-{next(self._entries)}", data={CONF_NUMBERS: numbers}
        )
        return await UsageCoordinator.async_create(self.hass, entry, self.client)

    async def sync(self, expected: int) -> UsageCoordinator:
        """Run a coordinator's first read; stop the benchmark if it missed records."""
        coordinator = await self.coordinator()
        await coordinator.async_refresh()
        month = coordinator.data.for_month() if coordinator.data else None
        if month is None or month.sent + month.received != expected:
            raise SystemExit(f"the coordinator counted {month} of {expected} records")
        return coordinator

    async def timed_sync(self, expected: int) -> float:
        """Time one first read (the coordinator is built before the clock starts)."""
        coordinator = await self.coordinator()
        seconds = await timed(coordinator.async_refresh)
        month = coordinator.data.for_month() if coordinator.data else None
        if month is None or month.sent + month.received != expected:
            raise SystemExit(f"the coordinator counted {month} of {expected} records")
        return seconds

    async def raw_listing(self) -> int:
        """List the same window page by page as plainly as a client can; return the pages."""
        headers = {"Authorization": self.client._authorization}  # noqa: SLF001
        url: str | None = f"{self.sim.url}/v2.1/messages"
        params: dict[str, Any] | None = {
            "start_date": MONTH_START.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_date": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "limit": PAGE_SIZE,
            "offset": 0,
        }
        pages = 0
        while url is not None:
            async with self.session.get(url, params=params, headers=headers) as response:
                page = loads(await response.read())
            pages += 1
            url, params = page["links"].get("next"), None
        return pages

    async def kept_after_sync(self, records: int) -> int:
        """Bytes the coordinator keeps once a first read of a month of `records` is over."""
        self.seed(records)
        coordinator = await self.sync(records)
        return deep_size(coordinator._ledger) + deep_size(coordinator.data)  # noqa: SLF001


def deep_size(root: object) -> int:
    """Return the bytes of `root` and of every object it holds (each counted once).

    Types, modules and time zones are shared by everything: they are not counted.
    """
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type | ModuleType | tzinfo):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        stack.extend(gc.get_referents(item))
    return total


async def measure(
    records: int = 50_000, runs: int = 5, small: int | None = None
) -> UsageSyncResult:
    """Seed, time both listings `runs` times each, then measure the memory kept."""
    small = small or max(records // 10, 2 * LAST_HOUR)
    with (
        tempfile.TemporaryDirectory() as config_dir,
        # "Now" is the 30th: a whole month, whatever today's date.
        patch.object(dt_util, "now", lambda _=None: NOW),
    ):
        hass = HomeAssistant(config_dir)
        async with run_simulator() as sim, aiohttp.ClientSession() as session:
            bench = Bench(hass, session, sim)
            bench.seed(records)
            pages = await bench.raw_listing()  # warm: connections, the simulator's index
            await bench.sync(records)
            sync_seconds, raw_seconds = await interleaved_medians(
                [lambda: bench.timed_sync(records), lambda: timed(bench.raw_listing)], runs
            )
            kept_small = await bench.kept_after_sync(small)
            kept_large = await bench.kept_after_sync(records)
        await hass.async_stop(force=True)
    return UsageSyncResult(
        records, runs, pages, sync_seconds, raw_seconds, small, kept_small, kept_large
    )


def main() -> None:
    """Parse the arguments, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000, help="records (50000)")
    parser.add_argument("--runs", type=int, default=5, help="reads of each kind (5)")
    parser.add_argument("--quick", action="store_true", help="10,000 records, 3 runs")
    args = parser.parse_args()
    quiet_logging()
    if args.quick:
        result = asyncio.run(measure(records=10_000, runs=3, small=2_000))
    else:
        result = asyncio.run(measure(args.records, args.runs))
    print("\n".join(result.details()))
    print()
    print(table(result.rows()))


if __name__ == "__main__":
    main()

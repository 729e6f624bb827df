"""Load an opt-out list of 100,000 numbers, against reading its Store file alone.

The file is written in the format OptOutList saves into a temporary config directory.
The baseline is `Store.async_load()` of the same file (the executor read and the JSON
parse), so the ratio is the list's own overhead: checking and indexing every row.

    python benchmarks/opt_out_load.py [--numbers 100000] [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import FakeEntry, Row, interleaved_medians, ms, quiet_logging, table, timed
from homeassistant.core import HomeAssistant

from custom_components.flowroute.const import CONF_NUMBERS
from custom_components.flowroute.opt_out import STORAGE_VERSION, OptOutList, OptOutReason
from custom_components.flowroute.storage import OPT_OUTS, entry_store

DID = "12065550199"


def stored_list(numbers: int) -> dict[str, Any]:
    """Return what OptOutList._data() saves for `numbers` recipients of one DID."""
    reasons = [str(reason) for reason in OptOutReason]
    now = time.time()
    return {
        "dids": {
            DID: [
                [f"1425{index:07d}", reasons[index % len(reasons)], now - index]
                for index in range(numbers)
            ]
        }
    }


@dataclass(frozen=True, slots=True)
class OptOutLoadResult:
    """Median load times of the list and of its file alone."""

    numbers: int
    runs: int
    file_bytes: int
    list_seconds: float
    store_seconds: float

    def details(self) -> list[str]:
        """Describe the run."""
        return [
            (
                f"opt-out list of {self.numbers:,} numbers ({self.file_bytes / 1e6:.1f} MB), "
                f"median of {self.runs} loads"
            ),
            f"OptOutList.async_load: {ms(self.list_seconds)}",
            f"Store.async_load:      {ms(self.store_seconds)}",
        ]

    def rows(self) -> list[Row]:
        """Return the table row."""
        return [
            Row(
                f"opt-out list load, {self.numbers:,} numbers vs Store.async_load of its file",
                ms(self.list_seconds),
                ms(self.store_seconds),
                self.list_seconds / self.store_seconds,
                "well under 1 s",
            )
        ]


async def measure(numbers: int = 100_000, runs: int = 7) -> OptOutLoadResult:
    """Write the file, then time both loads `runs` times each (fresh objects, no cache)."""
    with tempfile.TemporaryDirectory() as config_dir:
        hass = HomeAssistant(config_dir)
        entry: Any = FakeEntry(data={CONF_NUMBERS: [DID]})
        store = entry_store(hass, entry.entry_id, OPT_OUTS, STORAGE_VERSION)
        await store.async_save(stored_list(numbers))
        file_bytes = Path(store.path).stat().st_size  # noqa: ASYNC240 (set-up, not timed)

        loaded = OptOutList(hass, entry)
        await loaded.async_load()
        if loaded.count(DID) != numbers:  # the format drifted from opt_out.py
            raise SystemExit(f"OptOutList loaded {loaded.count(DID)} of {numbers} numbers")

        # New objects every time: a Store keeps what it loaded.
        list_seconds, store_seconds = await interleaved_medians(
            [
                lambda: timed(OptOutList(hass, entry).async_load),
                lambda: timed(
                    entry_store(hass, entry.entry_id, OPT_OUTS, STORAGE_VERSION).async_load
                ),
            ],
            runs,
        )
        await hass.async_stop(force=True)
    return OptOutLoadResult(numbers, runs, file_bytes, list_seconds, store_seconds)


def main() -> None:
    """Parse the arguments, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=100_000, help="numbers (100000)")
    parser.add_argument("--runs", type=int, default=7, help="loads of each kind (7)")
    args = parser.parse_args()
    quiet_logging()
    result = asyncio.run(measure(args.numbers, args.runs))
    print("\n".join(result.details()))
    print()
    print(table(result.rows()))


if __name__ == "__main__":
    main()

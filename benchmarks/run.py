"""Run every benchmark and print one table of ratios against baselines of the same run.

    .venv/bin/python benchmarks/run.py [--quick]

Inbound webhook throughput and latency (against a no-op webhook and Home Assistant's own
twilio webhook), an outbound burst (against the theoretical minimum under Flowroute's
limits), loading an opt-out list of 100,000 numbers (against reading its file),
setting up the config entry (against core's sun and one API round trip) and Assist over
SMS (a text until Assist's answer reaches the simulator, against the conversation agent
alone; 20 senders at once) and syncing a month of 50,000 message records for the usage
sensors (against a raw paged listing of them; and the memory kept, against a month of
5,000), in that order. Each benchmark is also a script of its own. --quick uses fewer
messages, records and runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from typing import TYPE_CHECKING, Any, Protocol

import assist
import entry_setup
import inbound
import opt_out_load
import send_burst
import usage_sync
from harness import quiet_logging, table
from homeassistant.const import __version__ as ha_version

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from harness import Row


class Measured(Protocol):
    """What every benchmark's result offers."""

    def details(self) -> list[str]:
        """Return lines that describe the run."""
        ...

    def rows(self) -> list[Row]:
        """Return rows of the table."""
        ...


type Benchmark = tuple[str, Callable[[], Coroutine[Any, Any, Measured]]]


def benchmarks(quick: bool) -> list[Benchmark]:
    """Return the benchmarks in the order they run: full size is each one's default."""
    if quick:
        return [
            ("inbound", lambda: inbound.measure(messages=500, rounds=3)),
            ("outbound burst", lambda: send_burst.measure(sms_count=25, mms_count=3)),
            ("opt-out list load", lambda: opt_out_load.measure(runs=3)),
            ("config entry setup", lambda: entry_setup.measure(runs=9)),
            ("assist over sms", lambda: assist.measure(rounds=40, texts=2, bursts=1)),
            ("usage sync", lambda: usage_sync.measure(records=10_000, runs=3, small=2_000)),
        ]
    return [
        ("inbound", inbound.measure),
        ("outbound burst", send_burst.measure),
        ("opt-out list load", opt_out_load.measure),
        ("config entry setup", entry_setup.measure),
        ("assist over sms", assist.measure),
        ("usage sync", usage_sync.measure),
    ]


def main() -> None:
    """Run the benchmarks one after the other, then print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages and runs")
    args = parser.parse_args()
    quiet_logging()
    print(
        f"Python {platform.python_version()}, Home Assistant {ha_version}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start"
        + (", quick mode" if args.quick else "")
    )
    rows: list[Row] = []
    for name, measure in benchmarks(args.quick):
        print(f"\n== {name}", flush=True)
        started = time.monotonic()
        result = asyncio.run(measure())
        print("\n".join(result.details()))
        print(f"({time.monotonic() - started:.1f} s)", flush=True)
        rows.extend(result.rows())
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end\n")
    print(table(rows))


if __name__ == "__main__":
    main()

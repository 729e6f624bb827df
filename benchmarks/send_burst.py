"""Send 100 SMS and 10 MMS through the outbox to an in-process simulator at default limits.

Prints the completion time as a ratio to the theoretical minimum under the limits the
simulator enforces (goal: <= 1.05) and how many 429s the simulator answered (goal: 0).

    python benchmarks/send_burst.py [--sms 100] [--mms 10]

The outbox runs on a real (unstarted) HomeAssistant object with a temporary config
directory, so its Store writes real files, exactly as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import FakeEntry, Row, quiet_logging, table
from homeassistant.core import HomeAssistant

from custom_components.flowroute.api import FlowrouteClient
from custom_components.flowroute.outbox import OutboundMessage, Outbox
from simulator.core import InboundMedia
from simulator.testing import run_simulator


def minimum_seconds(messages: int, limit: int, window: float) -> float:
    """Shortest time for `messages` attempts with at most `limit` in any sliding window."""
    return max(math.ceil(messages / limit) - 1, 0) * window


@dataclass(frozen=True, slots=True)
class BurstResult:
    """One burst: completion per lane and overall, against the theoretical minimums."""

    sms: int
    mms: int
    sms_limit: int
    mms_limit: int
    window: float
    sms_seconds: float | None  # when the lane's last message was accepted
    mms_seconds: float | None
    elapsed: float
    accepted: int
    attempts: int
    rejected: int  # 429s from the simulator

    @property
    def sms_minimum(self) -> float:
        """Theoretical minimum of the SMS lane."""
        return minimum_seconds(self.sms, self.sms_limit, self.window)

    @property
    def mms_minimum(self) -> float:
        """Theoretical minimum of the MMS lane."""
        return minimum_seconds(self.mms, self.mms_limit, self.window)

    @property
    def minimum(self) -> float:
        """Theoretical minimum of the burst: the two lanes are limited independently."""
        return max(self.sms_minimum, self.mms_minimum)

    def details(self) -> list[str]:
        """Describe the burst."""
        lines = [
            (
                f"limits: {self.sms_limit} SMS and {self.mms_limit} MMS "
                f"per {self.window:g} s (sliding)"
            ),
            f"sent: {self.accepted} of {self.sms + self.mms} accepted in {self.attempts} attempts",
        ]
        if self.sms_seconds is not None:
            lines.append(f"SMS lane: {self.sms_seconds:.3f} s, minimum {self.sms_minimum:.3f} s")
        if self.mms_seconds is not None:
            lines.append(f"MMS lane: {self.mms_seconds:.3f} s, minimum {self.mms_minimum:.3f} s")
        lines.append(f"completion: {self.elapsed:.3f} s, theoretical minimum {self.minimum:.3f} s")
        lines.append(f"429s from the simulator: {self.rejected}")
        return lines

    def rows(self) -> list[Row]:
        """Return the table row (none when the burst fits in one window: no minimum)."""
        if not self.minimum:
            return []
        return [
            Row(
                f"outbound burst, {self.sms} SMS + {self.mms} MMS vs theoretical minimum",
                f"{self.elapsed:.2f} s, {self.rejected} x 429",
                f"{self.minimum:.2f} s",
                self.elapsed / self.minimum,
                "<= 1.05, 0 x 429",
            )
        ]


async def measure(sms_count: int = 100, mms_count: int = 10) -> BurstResult:
    """Run the burst and return its figures."""
    async with run_simulator() as sim, aiohttp.ClientSession() as session:
        settings = sim.settings
        handset = "12065551000"
        picture = sim.inject_inbound(from_=handset, to="12065550199", media=[InboundMedia()])
        media_url = picture.media[0].url
        account = sim.account
        client = FlowrouteClient(
            account.access_key, account.secret_key, session=session, base_url=sim.url
        )
        with tempfile.TemporaryDirectory() as config_dir:
            hass = HomeAssistant(config_dir)
            entry: Any = FakeEntry()  # what the outbox uses of a config entry
            outbox = Outbox(
                hass,
                entry,
                client,
                sms_per_second=settings.sms_rate_limit,
                mms_per_second=settings.mms_rate_limit,
            )
            await outbox.async_start()
            messages = [
                OutboundMessage(to=handset, from_did="12065550199", body=f"SMS {i}")
                for i in range(sms_count)
            ]
            messages += [
                OutboundMessage(
                    to=handset,
                    from_did="12065550188",
                    body=f"MMS {i}",
                    media_urls=(media_url,),
                    is_mms=True,
                )
                for i in range(mms_count)
            ]
            done_at: dict[bool, float] = {}
            started = time.monotonic()

            def finished(is_mms: bool, _future: asyncio.Future[str]) -> None:
                done_at[is_mms] = time.monotonic() - started

            futures = []
            for message in messages:
                future = await outbox.async_submit(message)
                future.add_done_callback(functools.partial(finished, message.is_mms))
                futures.append(future)
            await asyncio.gather(*futures)
            elapsed = time.monotonic() - started
            await outbox.async_stop()
            await hass.async_stop(force=True)

    attempts = sim.state.send_attempts
    return BurstResult(
        sms=sms_count,
        mms=mms_count,
        sms_limit=settings.sms_rate_limit,
        mms_limit=settings.mms_rate_limit,
        window=settings.rate_window,
        sms_seconds=done_at.get(False),
        mms_seconds=done_at.get(True),
        elapsed=elapsed,
        accepted=len(sim.state.sent_messages()),
        attempts=len(attempts),
        rejected=sum(1 for attempt in attempts if attempt.status == 429),
    )


def main() -> None:
    """Parse the arguments, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms", type=int, default=100, help="SMS to send (default 100)")
    parser.add_argument("--mms", type=int, default=10, help="MMS to send (default 10)")
    args = parser.parse_args()
    quiet_logging()
    result = asyncio.run(measure(args.sms, args.mms))
    print("\n".join(result.details()))
    if rows := result.rows():
        print()
        print(table(rows))
    else:
        print("ratio: n/a (fits in one window)")


if __name__ == "__main__":
    main()

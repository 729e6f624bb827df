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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from homeassistant.core import HomeAssistant

from custom_components.flowroute.api import FlowrouteClient
from custom_components.flowroute.outbox import OutboundMessage, Outbox
from simulator.core import InboundMedia
from simulator.testing import run_simulator

if TYPE_CHECKING:
    from collections.abc import Coroutine


class BenchmarkEntry:
    """The two things the outbox needs of a config entry."""

    entry_id = "benchmark"

    def async_create_background_task[R](
        self,
        hass: HomeAssistant,
        target: Coroutine[Any, Any, R],
        name: str,
        eager_start: bool = True,
    ) -> asyncio.Task[R]:
        """Start a task the way a config entry does."""
        return hass.async_create_background_task(target, name, eager_start)


def minimum_seconds(messages: int, limit: int, window: float) -> float:
    """Shortest time for `messages` attempts with at most `limit` in any sliding window."""
    return max(math.ceil(messages / limit) - 1, 0) * window


async def run(sms_count: int, mms_count: int) -> None:
    """Run the burst and print the figures."""
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
            outbox = Outbox(
                hass,
                BenchmarkEntry(),
                client,
                sms_per_second=settings.sms_rate_limit,
                mms_per_second=settings.mms_rate_limit,
            )
            await outbox.async_start()
            messages = [
                OutboundMessage(to=handset, from_number="12065550199", body=f"SMS {i}")
                for i in range(sms_count)
            ]
            messages += [
                OutboundMessage(
                    to=handset,
                    from_number="12065550188",
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

    sms_minimum = minimum_seconds(sms_count, settings.sms_rate_limit, settings.rate_window)
    mms_minimum = minimum_seconds(mms_count, settings.mms_rate_limit, settings.rate_window)
    minimum = max(sms_minimum, mms_minimum)  # the two lanes are limited independently
    attempts = sim.state.send_attempts
    rejected = sum(1 for attempt in attempts if attempt.status == 429)
    accepted = len(sim.state.sent_messages())
    print(
        f"limits: {settings.sms_rate_limit} SMS and {settings.mms_rate_limit} MMS "
        f"per {settings.rate_window:g} s (sliding)"
    )
    print(f"sent: {accepted} of {len(messages)} accepted in {len(attempts)} attempts")
    if sms_count:
        print(f"SMS lane: {done_at[False]:.3f} s, minimum {sms_minimum:.3f} s")
    if mms_count:
        print(f"MMS lane: {done_at[True]:.3f} s, minimum {mms_minimum:.3f} s")
    print(f"completion: {elapsed:.3f} s, theoretical minimum {minimum:.3f} s")
    print(f"ratio: {elapsed / minimum:.4f}" if minimum else "ratio: n/a (fits in one window)")
    print(f"429s from the simulator: {rejected}")


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms", type=int, default=100, help="SMS to send (default 100)")
    parser.add_argument("--mms", type=int, default=10, help="MMS to send (default 10)")
    args = parser.parse_args()
    asyncio.run(run(args.sms, args.mms))


if __name__ == "__main__":
    main()

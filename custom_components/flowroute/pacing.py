"""How often things may happen (no Home Assistant imports).

The outbox's side: Flowroute's rate windows as Flowroute counts them (SlidingWindowLimiter
and its Attempts), exponential backoff with jitter, and the pause a send lane takes after
429, 5xx or an unreachable Flowroute (LanePause). The callbacks' side: a Cooldown keyed by
a number, bounded because the keys come from outside.
"""

from __future__ import annotations

import math
import random
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

# Flowroute counts attempts per 1000 ms by arrival time; the margin absorbs the jitter
# between our departures and their arrivals.
RATE_WINDOW: Final = 1.0
RATE_MARGIN: Final = 0.025
RTT_SAMPLES: Final = 32  # round trips the usual one is taken from (the smallest)
IN_FLIGHT_POLL: Final = 0.05
# Exponential backoff with full jitter: uniform(0, min(cap, base * factor ** (n - 1))).
BACKOFF_BASE = 1.0
BACKOFF_FACTOR: Final = 2.0
BACKOFF_CAP: Final = 60.0
RETRY_AFTER_CAP: Final = 3600.0  # a bogus Retry-After must not park a lane for days


@dataclass(slots=True)
class Attempt:
    """One attempt counted by a SlidingWindowLimiter."""

    start: float
    counted_at: float | None = None  # latest time Flowroute may have counted it; None in flight


class SlidingWindowLimiter:
    """At most `limit` attempts in any window, counted the way Flowroute counts them.

    A rate of N per second allows floor(N) attempts per floor(N)/N seconds: N per
    second for whole numbers, one attempt every 1/N s below one. Every attempt counts,
    failed ones too.

    Flowroute counts arrivals, not departures. A request that needed a new (TLS)
    connection arrives late, and the next window's requests on warm connections early:
    spacing departures alone would put too many arrivals in one window. So an attempt
    counts from its start plus how much longer than the usual round trip it took
    (from its reply time, while no usual round trip is known yet).
    """

    def __init__(
        self,
        rate: float,
        *,
        window: float = RATE_WINDOW,
        margin: float = RATE_MARGIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Allow `rate` attempts per `window` seconds, each window stretched by `margin`."""
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a positive number, not {rate}")
        self.limit = max(1, math.floor(rate))
        self.window = window * self.limit / rate
        self.margin = margin
        self._clock = clock
        self._attempts: deque[Attempt] = deque(maxlen=self.limit)
        self._round_trips: deque[float] = deque(maxlen=max(RTT_SAMPLES, 2 * self.limit))

    def delay(self) -> float:
        """Seconds until the next attempt may start; 0 when it may start now."""
        if len(self._attempts) < self.limit:
            return 0.0
        oldest = self._attempts[0]
        if oldest.counted_at is None:
            # Still in flight: it may reach Flowroute any moment; look again soon.
            return max(oldest.start + self.window + self.margin - self._clock(), IN_FLIGHT_POLL)
        return max(0.0, oldest.counted_at + self.window + self.margin - self._clock())

    def record(self) -> Attempt:
        """Count an attempt starting now; settle it when its reply (or error) comes."""
        attempt = Attempt(self._clock())
        self._attempts.append(attempt)
        return attempt

    def settle(self, attempt: Attempt) -> None:
        """Bound when Flowroute may have counted `attempt`, now that its reply came."""
        end = self._clock()
        usual = min(self._round_trips) if len(self._round_trips) >= self.limit else 0.0
        attempt.counted_at = max(attempt.start, end - usual)
        self._round_trips.append(end - attempt.start)


def backoff_delay(failures: int) -> float:
    """Exponential backoff with full jitter after `failures` failures in a row."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * BACKOFF_FACTOR ** max(failures - 1, 0))
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


class LanePause:
    """How long a whole send lane holds after 429, 5xx or an unreachable Flowroute.

    The limit is per account, so one failure pauses every message of the lane. Replies to
    requests that were already in flight when a pause was decided say nothing new: they
    extend nothing and count no further failure.
    """

    def __init__(self) -> None:
        """Start unpaused."""
        self.until = 0.0
        self.failures = 0  # lane-wide failures in a row
        self._decided_at = -math.inf

    def pause(self, now: float, attempt_started: float, retry_after: float | None) -> float:
        """Count a failure of the attempt started at `attempt_started`; return the pause."""
        if attempt_started >= self._decided_at:
            self.failures += 1
            self._decided_at = now
            delay = backoff_delay(self.failures)
        else:
            delay = 0.0
        if retry_after is not None:
            delay = min(retry_after, RETRY_AFTER_CAP)
        self.until = max(self.until, now + delay)
        return self.until - now

    def recovered(self) -> bool:
        """Forget the failures after an accepted attempt; True when there were any."""
        had_failures = self.failures > 0
        self.failures = 0
        return had_failures


class Cooldown:
    """At most one go per key per `period` seconds, remembering at most `max_keys` keys.

    When every remembered key is still cooling down and a new one asks, the answer is
    no: a flood of new keys fills the memory, never grows it, and costs at most one
    period of refusals.
    """

    def __init__(
        self, period: float, *, max_keys: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Allow one go per key every `period` seconds (0: always allow)."""
        self.period = period
        self.max_keys = max_keys
        self._clock = clock
        self._last: OrderedDict[Hashable, float] = OrderedDict()  # oldest go first

    def __len__(self) -> int:
        """Return how many keys are remembered."""
        return len(self._last)

    def allow(self, key: Hashable) -> bool:
        """Return whether `key` may go now, and count the go when it may."""
        if self.period <= 0:
            return True
        now = self._clock()
        while self._last:
            oldest_key, oldest = next(iter(self._last.items()))
            if now - oldest < self.period:
                break
            del self._last[oldest_key]
        if key in self._last or len(self._last) >= self.max_keys:
            return False
        self._last[key] = now
        return True


class WindowLimit:
    """At most `limit` goes per key in any `period` seconds (a sliding window).

    For keys the user configured (contacts), not keys a callback names: the keys are
    not bounded here.
    """

    def __init__(
        self, limit: int, period: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Allow `limit` goes per key in any `period` seconds."""
        self.limit = limit
        self.period = period
        self._clock = clock
        self._goes: dict[Hashable, deque[float]] = {}

    def allow(self, key: Hashable) -> bool:
        """Return whether `key` may go now, and count the go when it may."""
        now = self._clock()
        goes = self._goes.setdefault(key, deque())
        while goes and now - goes[0] >= self.period:
            goes.popleft()
        if len(goes) >= self.limit:
            return False
        goes.append(now)
        return True

"""How often things may happen: cooldowns keyed by a number (no Home Assistant imports).

Everything here is keyed by data from outside (a number a callback names), so every
structure has a bound, stated where it is defined.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable


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

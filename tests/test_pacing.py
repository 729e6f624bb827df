"""Pacing without Home Assistant: Flowroute's rate windows, backoff, lane pauses, cooldowns."""

from __future__ import annotations

import pytest

from custom_components.flowroute import pacing
from custom_components.flowroute.pacing import Cooldown, LanePause, SlidingWindowLimiter

# The limiter


def test_limiter_counts_attempts_in_a_sliding_window() -> None:
    now = 100.0
    limiter = SlidingWindowLimiter(5, margin=0.025, clock=lambda: now)
    for _ in range(5):
        assert limiter.delay() == 0
        limiter.settle(limiter.record())
    assert limiter.delay() == pytest.approx(1.025)
    now = 100.5
    assert limiter.delay() == pytest.approx(0.525)
    now = 101.025
    assert limiter.delay() == 0
    limiter.settle(limiter.record())
    # The window slides: the second attempt of the first burst now bounds the next one.
    assert limiter.delay() == 0
    for _ in range(4):
        limiter.settle(limiter.record())
    assert limiter.delay() == pytest.approx(1.025)


def test_limiter_counts_slow_attempts_from_when_they_may_have_arrived() -> None:
    """A request that took longer than usual (a new connection) may have arrived late."""
    now = 0.0
    limiter = SlidingWindowLimiter(2, margin=0, clock=lambda: now)
    first = limiter.record()
    now = 0.3
    limiter.settle(first)  # no usual round trip known yet: counts from its reply
    second = limiter.record()
    now = 0.4
    limiter.settle(second)
    assert limiter.delay() == pytest.approx(0.3 + 1 - 0.4)
    now = 1.3
    for _ in range(2):  # usual round trips of 0.1 s
        attempt = limiter.record()
        now += 0.1
        limiter.settle(attempt)
    now = 3.0
    slow = limiter.record()
    now = 3.5
    limiter.settle(slow)  # 0.4 s slower than usual
    assert limiter._attempts[-1].counted_at == pytest.approx(3.4)
    in_flight = limiter.record()
    assert in_flight.counted_at is None
    follower = limiter.record()
    now = 3.6
    limiter.settle(follower)
    now = 4.6  # the window of its start is over, but the one in flight may still arrive
    assert limiter.delay() > 0
    limiter.settle(in_flight)  # 1.1 s: it may have arrived 0.1 s ago
    assert limiter.delay() == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("rate", "limit", "window"),
    [(1, 1, 1.0), (5, 5, 1.0), (0.5, 1, 2.0), (0.1, 1, 10.0), (2.5, 2, 0.8), (100, 100, 1.0)],
)
def test_limiter_fractional_rates(rate: float, limit: int, window: float) -> None:
    limiter = SlidingWindowLimiter(rate, margin=0, clock=lambda: 0.0)
    assert (limiter.limit, limiter.window) == (limit, pytest.approx(window))
    for _ in range(limit):
        limiter.settle(limiter.record())
    assert limiter.delay() == pytest.approx(window)


@pytest.mark.parametrize("rate", [0, -1, float("nan"), float("inf")])
def test_limiter_refuses_nonsense_rates(rate: float) -> None:
    with pytest.raises(ValueError, match="rate"):
        SlidingWindowLimiter(rate)


# Backoff and the lane's pause


def test_backoff_grows_to_its_cap_with_full_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing.random, "uniform", lambda _low, high: high)
    assert [pacing.backoff_delay(n) for n in (1, 2, 3, 7, 8, 30)] == [1, 2, 4, 60, 60, 60]
    monkeypatch.setattr(pacing.random, "uniform", lambda low, _high: low)
    assert pacing.backoff_delay(5) == 0


def test_a_lane_pause_counts_only_failures_after_it_was_decided(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pacing.random, "uniform", lambda _low, high: high)
    pause = LanePause()
    assert pause.pause(now=10.0, attempt_started=9.9, retry_after=None) == 1.0
    # A reply to a request that was in flight when the pause began says nothing new.
    assert pause.pause(now=10.2, attempt_started=9.95, retry_after=None) == pytest.approx(0.8)
    assert pause.failures == 1
    # A new attempt failing again doubles the pause.
    assert pause.pause(now=11.0, attempt_started=10.9, retry_after=None) == 2.0
    assert pause.until == 13.0
    # Retry-After is honoured, within a bound.
    assert pause.pause(now=12.0, attempt_started=11.5, retry_after=7.5) == pytest.approx(7.5)
    assert pause.pause(now=12.0, attempt_started=12.0, retry_after=1e9) == pacing.RETRY_AFTER_CAP
    assert pause.recovered()
    assert not pause.recovered()
    assert pause.failures == 0


# Cooldowns keyed by numbers from callbacks


def test_cooldown_allows_one_go_per_key_per_period() -> None:
    now = 0.0
    cooldown = Cooldown(60, max_keys=10, clock=lambda: now)
    assert cooldown.allow("a")
    assert not cooldown.allow("a")
    assert cooldown.allow("b")
    now = 59.9
    assert not cooldown.allow("a")
    now = 60.0
    assert cooldown.allow("a")


def test_cooldown_is_bounded_and_refuses_when_full() -> None:
    now = 0.0
    cooldown = Cooldown(60, max_keys=3, clock=lambda: now)
    assert [cooldown.allow(key) for key in "abcd"] == [True, True, True, False]
    assert len(cooldown) == 3
    now = 61.0  # every key cooled down: they are forgotten, new ones fit
    assert cooldown.allow("d")
    assert len(cooldown) == 1


def test_a_zero_period_never_cools_down() -> None:
    cooldown = Cooldown(0, max_keys=1)
    assert all(cooldown.allow("a") for _ in range(5))
    assert len(cooldown) == 0

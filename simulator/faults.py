"""Faults: outages, 429 storms, slow or lost replies, injected on chosen endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MIN_ERROR_STATUS = 400
MAX_ERROR_STATUS = 599


class Endpoint(StrEnum):
    """The Flowroute endpoints a fault can hit."""

    SEND_SMS = "send_sms"
    SEND_MMS = "send_mms"
    NUMBERS = "numbers"  # listing numbers
    CALLBACKS = "callbacks"  # setting number or account callbacks
    RECORDS = "records"  # message records


class FaultTarget(StrEnum):
    """Which endpoints a fault applies to."""

    SEND_SMS = "send_sms"
    SEND_MMS = "send_mms"
    SENDS = "sends"
    NUMBERS = "numbers"
    CALLBACKS = "callbacks"
    RECORDS = "records"
    ALL = "all"

    def covers(self, endpoint: Endpoint) -> bool:
        """Whether a request to `endpoint` is hit by this target."""
        if self is FaultTarget.ALL:
            return True
        if self is FaultTarget.SENDS:
            return endpoint in (Endpoint.SEND_SMS, Endpoint.SEND_MMS)
        return self.value == endpoint.value


class FaultKind(StrEnum):
    """What happens to a request hit by a fault."""

    UNAVAILABLE = "unavailable"  # 503, nothing accepted
    RATE_LIMITED = "rate_limited"  # 429, optionally with Retry-After
    STATUS = "status"  # any error status with a Flowroute-shaped body
    SLOW = "slow"  # answer normally after `delay` seconds
    DROP = "drop"  # close the connection before processing: nothing accepted
    LOST_REPLY = "lost_reply"  # process (a send is accepted), then close without answering


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """A fault for the next `count` matching requests and/or `duration` seconds.

    With neither, it lasts until the faults are cleared.
    """

    kind: FaultKind
    target: FaultTarget = FaultTarget.ALL
    count: int | None = None
    duration: float | None = None
    status: int = 500  # STATUS
    retry_after: int | None = None  # RATE_LIMITED: seconds for the Retry-After header
    delay: float = 1.0  # SLOW
    detail: str | dict[str, Any] | None = None  # error detail instead of the default text

    def __post_init__(self) -> None:
        """Refuse a fault that could never apply or could not be answered."""
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1")
        if self.duration is not None and self.duration <= 0:
            raise ValueError("duration must be positive")
        if not MIN_ERROR_STATUS <= self.status <= MAX_ERROR_STATUS:
            raise ValueError("status must be an error status (400-599)")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must not be negative")
        if self.delay < 0:
            raise ValueError("delay must not be negative")


@dataclass(slots=True, kw_only=True)
class ActiveFault:
    """A fault in force, with what is left of it."""

    fault_id: int
    fault: Fault
    remaining: int | None
    expires_at: float | None
    hits: int = 0


class FaultBook:
    """The faults in force; the oldest matching one applies to a request."""

    def __init__(self) -> None:
        """Start without faults."""
        self._active: list[ActiveFault] = []
        self._next_id = 1

    def add(self, fault: Fault, *, now: float) -> int:
        """Put `fault` in force and return its id."""
        fault_id = self._next_id
        self._next_id += 1
        expires_at = now + fault.duration if fault.duration is not None else None
        self._active.append(
            ActiveFault(
                fault_id=fault_id, fault=fault, remaining=fault.count, expires_at=expires_at
            )
        )
        return fault_id

    def take(self, endpoint: Endpoint, *, now: float) -> Fault | None:
        """Return the fault that hits a request to `endpoint`, using up one of its count."""
        self._expire(now)
        for active in self._active:
            if not active.fault.target.covers(endpoint):
                continue
            active.hits += 1
            if active.remaining is not None:
                active.remaining -= 1
                if active.remaining == 0:
                    self._active.remove(active)
            return active.fault
        return None

    def active(self, *, now: float) -> list[ActiveFault]:
        """Return the faults still in force."""
        self._expire(now)
        return list(self._active)

    def remove(self, fault_id: int) -> bool:
        """End one fault; False if it was not in force."""
        before = len(self._active)
        self._active = [active for active in self._active if active.fault_id != fault_id]
        return len(self._active) != before

    def clear(self) -> None:
        """End every fault."""
        self._active.clear()

    def _expire(self, now: float) -> None:
        self._active = [
            active
            for active in self._active
            if active.expires_at is None or now < active.expires_at
        ]

"""Simulator settings: limits, timings, opt-out behaviour and the clocks."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from .rules import number_problem

if TYPE_CHECKING:
    from collections.abc import Callable


class OptOutMode(StrEnum):
    """How a send to a recipient who texted STOP fails."""

    REJECT = "reject"  # 400 with code 1110, no message id
    RECEIPT = "receipt"  # 202, then a level-2 receipt with code 1110


def now_utc() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything about the simulator's behaviour that is not per-request state."""

    sms_rate_limit: int = 5  # SMS attempts per window and account
    mms_rate_limit: int = 1  # MMS attempts per window and account
    rate_window: float = 1.0  # seconds, sliding
    callback_retries: int = 4  # further attempts after a failed callback post
    callback_retry_interval: float = 30.0
    callback_timeout: float = 10.0
    level1_receipt_delay: float = 1.0  # seconds after the send is accepted
    level2_receipt_delay: float = 3.0
    media_fetch_timeout: float = 20.0
    max_media_bytes: int = 767_840
    opt_out_mode: OptOutMode = OptOutMode.REJECT
    forward_stop: bool = (
        True  # unconfirmed whether STOP reaches the callback; forwarding is tolerant
    )
    auto_reply: bool = False  # demo: every handset answers each text it gets
    auto_reply_delay: float = 2.0
    handsets: tuple[str, ...] = ()  # phones on the phone page from the start (v2.1 digits)
    monotonic: Callable[[], float] = time.monotonic  # rate windows and fault durations
    utcnow: Callable[[], datetime] = now_utc  # timestamps of records and receipts

    def __post_init__(self) -> None:
        """Refuse handsets that are not v2.1 numbers."""
        for number in self.handsets:
            if problem := number_problem(number):
                raise ValueError(f"handset {number!r} {problem}")

"""Delivery receipts: status codes, receipt modes, per-recipient rules and their schedule."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

DELIVERED = 1004
OPTED_OUT = 1110

STATUS_DESCRIPTIONS: dict[int, str] = {
    1001: "Message queued",
    1002: "Message sent",
    1003: "Message accepted by carrier",
    1004: "Message delivered to handset",
    1005: "Message rejected",
    1006: "Message expired",
    1007: "Message failed",
    1008: "Permanent send error",
    1100: "Unknown error",
    1101: "Source carrier invalid",
    1102: "Destination carrier invalid",
    1103: "Source not authorized",
    1104: "Source carrier disabled",
    1105: "Destination carrier disabled",
    1106: "No valid route",
    1110: "User opted out",
    1111: "Temporary resolution failure",
    1112: "Permanent resolution failure",
    1116: "Destination not text-enabled",
    1150: "Spam",
    1152: "Spam reject",
    1160: "Toll-free limits exceeded",
    1200: "Unknown error",
    1201: "Message too long",
    1204: "System error",
    1205: "Invalid source address",
    1206: "Invalid destination address",
    1210: "Queue full",
}


def describe(code: int | None) -> str | None:
    """Return the `status_code_description` Flowroute sends with `code`."""
    if code is None:
        return None
    return STATUS_DESCRIPTIONS.get(code, f"Status code {code}")


class ReceiptMode(StrEnum):
    """Which receipts reach the callback, and in which order."""

    NORMAL = "normal"  # level 1, then level 2
    DROP = "drop"  # none at all
    LEVEL1_ONLY = "level1_only"  # level 2 never comes
    DUPLICATE = "duplicate"  # every receipt is posted twice
    REVERSE = "reverse"  # level 2 before level 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """One delivery receipt, as listed in the message record."""

    level: int
    status: str
    status_code: int | None
    description: str | None
    timestamp: datetime


def make_receipt(level: int, *, code: int | None, timestamp: datetime) -> Receipt:
    """Build the v2.1 receipt of `level`; level 2 succeeds with 1004, anything else fails."""
    if level == 1:
        status = "smsc submit"
    elif code == DELIVERED:
        status = "delivery success"
    else:
        status = "delivery failure"
    return Receipt(
        level=level,
        status=status,
        status_code=code,
        description=describe(code),
        timestamp=timestamp,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptRule:
    """How the receipts of matching messages behave.

    Without `to` and `count` the rule becomes the default for every message; with `to` it
    applies to messages to that recipient; with `count` only to the next `count` matching ones.
    """

    mode: ReceiptMode = ReceiptMode.NORMAL
    code: int = DELIVERED  # level-2 outcome: 1004 or a failure code such as 1103, 1110, 1116
    level1_code: int | None = None  # often null; 1003 on some routes
    delay: float = 0.0  # extra seconds before every receipt
    legacy: bool = False  # Messaging v2 shape: no data envelope, mdr1- id
    to: str | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        """Refuse values that cannot describe a receipt."""
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1")


@dataclass(slots=True, kw_only=True)
class _ActiveRule:
    rule: ReceiptRule
    remaining: int | None


class ReceiptBook:
    """The default receipt rule and the narrower rules that override it."""

    def __init__(self) -> None:
        """Start with normal, delivered receipts for everyone."""
        self.default = ReceiptRule()
        self._active: list[_ActiveRule] = []

    @property
    def rules(self) -> list[ReceiptRule]:
        """The narrower rules, first match wins."""
        return [active.rule for active in self._active]

    def set(self, rule: ReceiptRule) -> None:
        """Install `rule` (see ReceiptRule for its scope)."""
        if rule.to is None and rule.count is None:
            self.default = rule
            return
        if rule.count is None:  # a standing rule for a recipient replaces the previous one
            self._active = [
                active
                for active in self._active
                if active.rule.to != rule.to or active.remaining is not None
            ]
        self._active.append(_ActiveRule(rule=rule, remaining=rule.count))

    def pick(self, to_number: str) -> ReceiptRule:
        """Return the rule for a message to `to_number`, using up one count of a counted rule."""
        for active in self._active:
            if active.rule.to not in (None, to_number):
                continue
            if active.remaining is not None:
                active.remaining -= 1
                if active.remaining == 0:
                    self._active.remove(active)
            return active.rule
        return self.default

    def reset(self) -> None:
        """Forget every rule."""
        self.default = ReceiptRule()
        self._active.clear()


def receipt_schedule(
    mode: ReceiptMode, *, level1_delay: float, level2_delay: float, extra: float
) -> list[tuple[float, int]]:
    """Return (seconds after acceptance, level) for each post, in order."""
    first, second = level1_delay + extra, level2_delay + extra
    match mode:
        case ReceiptMode.NORMAL:
            return [(first, 1), (second, 2)]
        case ReceiptMode.DROP:
            return []
        case ReceiptMode.LEVEL1_ONLY:
            return [(first, 1)]
        case ReceiptMode.DUPLICATE:
            return [(first, 1), (first, 1), (second, 2), (second, 2)]
        case ReceiptMode.REVERSE:
            return [(first, 2), (second, 1)]

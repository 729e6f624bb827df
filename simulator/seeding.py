"""Made-up message history: a month of records for tests, the demo and the benchmarks.

Seeded records are like those of real texts (ids, encodings, segments, prices, receipts
for outbound ones, a picture for MMS) but nothing is posted to any callback, and the
phone page does not show them. The same plan with the same seed gives the same records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .payloads import message_timestamp
from .receipts import DELIVERED, make_receipt
from .rules import number_problem
from .state import Direction, MessageRecord

if TYPE_CHECKING:
    from .state import MediaFile, SimulatorState

MAX_SEEDED = 200_000  # records one seeding may add (each is kept in memory)
MAX_DAYS = 366
DEFAULT_HANDSETS = tuple(f"1425555{index:04d}" for index in range(100, 110))
_SHORT = (
    "Garage door is open",
    "Front door unlocked",
    "Washing machine finished",
    "Motion in the back yard",
    "Thanks, on my way",
    "OK",
    "Is the oven off?",
    "Alarm armed (away)",
)
# Curly quotes, dashes and emoji: what makes a text UCS-2 (70 characters a segment).
_UCS2 = (
    "Don\u2019t forget the bins \u2014 collection is tomorrow",
    "Leak detected under the sink \U0001f6b0",
    "\u201cWelcome home\u201d scene started",
)
_LONG = (
    (
        "Daily summary: doors closed, windows closed, alarm armed at 22:00, heating set to"
        " 19 C, no motion overnight, battery of the back door sensor at 12 percent, please"
        " replace it soon."
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedPlan:
    """How many records, over how many days up to `end`, between which numbers."""

    count: int
    days: float = 30.0
    end: datetime | None = None  # aware; None: the simulator's now
    directions: tuple[Direction, ...] = (Direction.OUTBOUND, Direction.INBOUND)
    dids: tuple[str, ...] = ()  # numbers of the simulated accounts; () every enabled one
    handsets: tuple[str, ...] = DEFAULT_HANDSETS
    mms_share: float = 0.05
    ucs2_share: float = 0.1
    long_share: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        """Refuse a plan that cannot be carried out."""
        if not 1 <= self.count <= MAX_SEEDED:
            raise ValueError(f"count must be between 1 and {MAX_SEEDED}")
        if not 0 < self.days <= MAX_DAYS:
            raise ValueError(f"days must be above 0 and at most {MAX_DAYS}")
        if self.end is not None and self.end.tzinfo is None:
            raise ValueError("end must have a time zone")
        if not self.directions:
            raise ValueError("directions must name inbound, outbound or both")
        if not self.handsets:
            raise ValueError("handsets must not be empty")
        for number in self.handsets:
            if problem := number_problem(number):
                raise ValueError(f"handset {number!r} {problem}")
        self._check_shares()

    def _check_shares(self) -> None:
        for name in ("mms_share", "ucs2_share", "long_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.ucs2_share + self.long_share > 1:
            raise ValueError("ucs2_share and long_share together must be at most 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedSummary:
    """What a seeding added: enough for a test to know the totals it should see."""

    count: int
    outbound: int
    inbound: int
    mms: int
    segments_outbound: int
    amount_nanodollars: int
    first: datetime
    last: datetime

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as the control API answers it."""
        return {
            "count": self.count,
            "outbound": self.outbound,
            "inbound": self.inbound,
            "mms": self.mms,
            "segments_outbound": self.segments_outbound,
            "amount_nanodollars": self.amount_nanodollars,
            "first": message_timestamp(self.first),
            "last": message_timestamp(self.last),
        }


def seed_records(
    state: SimulatorState, plan: SeedPlan, *, now: datetime, picture: tuple[MediaFile, ...]
) -> SeedSummary:
    """Add the plan's records to `state`, oldest first; `picture` is every MMS's media."""
    dids = _dids(state, plan.dids)
    owners = [state.owner(did) for did in dids]
    if any(owner is not None for owner in (state.owner(number) for number in plan.handsets)):
        raise ValueError("a handset is a number of a simulated account")
    rng = random.Random(plan.seed)  # noqa: S311 - made-up texts, the same for the same seed
    end = plan.end or now
    span = timedelta(days=plan.days).total_seconds()
    offsets = sorted((rng.random() * span for _ in range(plan.count)), reverse=True)
    outbound = inbound = mms = segments = amount = 0
    first = last = end
    for index, offset in enumerate(offsets):
        pick = rng.randrange(len(dids))
        owner = owners[pick]
        if owner is None:  # pragma: no cover - _dids only keeps owned numbers
            raise ValueError(f"{dids[pick]} belongs to no simulated account")
        account, number = owner
        direction = rng.choice(plan.directions)
        handset = rng.choice(plan.handsets)
        is_mms = rng.random() < plan.mms_share
        timestamp = end - timedelta(seconds=offset)
        record = MessageRecord.create(
            message_id=f"mdr2-{rng.getrandbits(128):032x}",
            access_key=account.access_key,
            direction=direction,
            from_number=number.number if direction is Direction.OUTBOUND else handset,
            to_number=handset if direction is Direction.OUTBOUND else number.number,
            body=_body(rng, plan, is_mms=is_mms),
            media=picture if is_mms else (),
            is_mms=is_mms,
            timestamp=timestamp,
            message_type=number.number_type,
            seeded=True,
        )
        if direction is Direction.OUTBOUND:
            outbound += 1
            segments += 1 if is_mms else record.segments
            record.receipts.extend(
                make_receipt(level, code=DELIVERED, timestamp=timestamp + timedelta(seconds=level))
                for level in (1, 2)
            )
        else:
            inbound += 1
        mms += is_mms
        amount += record.amount_nanodollars
        state.add_message(record)
        if index == 0:
            first = timestamp
        last = timestamp
    return SeedSummary(
        count=plan.count,
        outbound=outbound,
        inbound=inbound,
        mms=mms,
        segments_outbound=segments,
        amount_nanodollars=amount,
        first=first,
        last=last,
    )


def _dids(state: SimulatorState, wanted: tuple[str, ...]) -> list[str]:
    """Return the numbers to seed: those named (each enabled for messaging), or all enabled."""
    if not wanted:
        return [
            number.number
            for account in state.accounts
            for number in account.numbers
            if number.messaging_enabled
        ]
    for did in wanted:
        owner = state.owner(did)
        if owner is None:
            raise ValueError(f"{did} is not a number of any simulated account")
        if not owner[1].messaging_enabled:
            raise ValueError(f"{did} is not enabled for messaging")
    return list(wanted)


def _body(rng: random.Random, plan: SeedPlan, *, is_mms: bool) -> str | None:
    if is_mms:
        return rng.choice(("Look", "The parcel arrived", None))
    roll = rng.random()
    if roll < plan.ucs2_share:
        return rng.choice(_UCS2)
    if roll < plan.ucs2_share + plan.long_share:
        return rng.choice(_LONG)
    return rng.choice(_SHORT)

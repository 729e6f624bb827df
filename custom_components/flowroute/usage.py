"""What the account sends, receives and spends, from Flowroute's message records (MDRs).

A coordinator per entry reads `GET /v2.1/messages` every `usage_interval_minutes`
(default 15), never per message, and incrementally:
- the first read covers the month so far (the month and the day are Home Assistant's,
  in its configured time zone); each later one only what is new since the cursor, the
  end of the last complete read, starting OVERLAP earlier for records that Flowroute
  lists late. Ids read inside that overlap are remembered, so no record counts twice,
  and only those: what the coordinator keeps does not grow with the month.
- a read counts apart and is kept only once it completes (a 429 on page 80 of 250
  leaves the totals and the cursor as they were); the cursor, the totals and the
  remembered ids are stored, so a restart does not read the month again.
- 401 starts reauthentication; any other failure (429, 5xx, unreachable, an answer that
  makes no sense) marks the sensors unavailable and doubles the interval up to
  MAX_INTERVAL (longer if Flowroute asked so with Retry-After), until a read succeeds.
  These reads never go through the outbox, so they never spend the send budget.

What a record counts for: outbound is a text sent by its `from` number, inbound a text
received by its `to` number; the day and month of its timestamp in Home Assistant's time
zone; its `amount_nanodollars`, whichever way it went (inbound records may carry a price).
Segments are those of an outbound SMS body by the rule Flowroute documents (the body
alone decides GSM-7 or UCS-2; `message_encoding` says the same by another name, and its
other values are unconfirmed); an MMS is one, as is an SMS whose record has no body.
Sent is what Flowroute accepted: a text that failed to deliver was still sent (and billed).
The account's totals count every record of the account; the per-number totals only the
entry's numbers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    FlowrouteAuthenticationError,
    FlowrouteError,
    FlowrouteRateLimitError,
    count_segments,
)
from .const import CONF_NUMBERS, CONF_USAGE_INTERVAL, DEFAULT_USAGE_INTERVAL_MINUTES, DOMAIN, LOGGER
from .storage import USAGE, entry_store

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from homeassistant.core import HomeAssistant

    from .api import FlowrouteClient, MessageRecord
    from .data import FlowrouteConfigEntry
    from .storage import EntryStore

# Records that Flowroute lists up to this late are still counted (once).
OVERLAP: Final = timedelta(minutes=10)
MIN_INTERVAL: Final = timedelta(minutes=1)  # whatever the option says: never a busy loop
MAX_INTERVAL: Final = timedelta(hours=2)
PAGE_SIZE: Final = 200
# Ids remembered from the overlap; beyond it (more than Flowroute's rate limits allow
# in ten minutes) the oldest are forgotten.
MAX_REMEMBERED_IDS: Final = 20_000
STORAGE_VERSION: Final = 1
NANODOLLARS_PER_DOLLAR: Final = 1_000_000_000
_OUTBOUND: Final = "outbound"
_INBOUND: Final = "inbound"
_ACCOUNT: Final = ""  # the key of the account's totals, next to the numbers'

type Month = tuple[int, int]


@dataclass(slots=True)
class Tally:
    """Texts sent and received, segments sent and spend (nanodollars) over some period."""

    sent: int = 0
    received: int = 0
    segments_sent: int = 0
    spend_nanodollars: int = 0

    def add(self, other: Tally) -> None:
        """Add another tally to this one."""
        self.sent += other.sent
        self.received += other.received
        self.segments_sent += other.segments_sent
        self.spend_nanodollars += other.spend_nanodollars

    def add_record(self, usage: _RecordUsage) -> None:
        """Add what one record counts for."""
        _, sent, received, segments, spend = usage
        self.sent += sent
        self.received += received
        self.segments_sent += segments
        self.spend_nanodollars += spend

    def copy(self) -> Tally:
        """Return a tally of the same figures."""
        return Tally(self.sent, self.received, self.segments_sent, self.spend_nanodollars)

    def as_list(self) -> list[int]:
        """Return the figures as they are stored."""
        return [self.sent, self.received, self.segments_sent, self.spend_nanodollars]

    @classmethod
    def from_list(cls, value: Any) -> Tally:
        """Read stored figures; ValueError when they are not four integers."""
        if (
            not isinstance(value, list)
            or len(value) != 4  # noqa: PLR2004 - the four fields
            or not all(type(item) is int for item in value)
        ):
            raise ValueError("a tally is four integers")
        return cls(*value)


type Tallies = dict[str, Tally]  # by number, the account's under _ACCOUNT
# What one record counts for: its number (None: unknown), texts sent, texts received,
# segments sent, spend in nanodollars.
type _RecordUsage = tuple[str | None, int, int, int, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageFigures:
    """What the usage sensors show: today's and this month's totals, and when each began."""

    day_start: datetime
    month_start: datetime
    today: Mapping[str, Tally]
    month: Mapping[str, Tally]

    def for_today(self, did: str | None = None) -> Tally:
        """Return today's totals of the account, or of one of the entry's numbers."""
        return self.today.get(did or _ACCOUNT) or Tally()

    def for_month(self, did: str | None = None) -> Tally:
        """Return this month's totals of the account, or of one of the entry's numbers."""
        return self.month.get(did or _ACCOUNT) or Tally()


def dollars(nanodollars: int) -> Decimal:
    """Return an amount of nanodollars in dollars, exactly."""
    # Below 10**18 nanodollars (what the parser lets through), well inside the context's
    # 28 digits: the quotient is exact, and has no more decimals than it needs.
    return Decimal(nanodollars) / NANODOLLARS_PER_DOLLAR


def record_segments(record: MessageRecord) -> int:
    """Return the segments an outbound record was billed for (see the module's docstring)."""
    if record.is_mms:
        return 1
    return count_segments(record.body) or 1


def _usage(record: MessageRecord) -> _RecordUsage:
    """Return the number a record counts for, and its texts sent, received, segments, spend."""
    direction = record.direction
    if direction not in (_OUTBOUND, _INBOUND):
        direction = direction.strip().lower()
    spend = record.amount_nanodollars or 0
    if direction == _OUTBOUND:
        return (record.from_number, 1, 0, record_segments(record), spend)
    if direction == _INBOUND:
        return (record.to_number, 0, 1, 0, spend)
    return (None, 0, 0, 0, spend)  # a direction we do not know: money only


def _month(day: date) -> Month:
    return (day.year, day.month)


class UsageRead:
    """One read of the records between `start` and `end`, counted apart until it completes.

    What it counts goes by the record's day, so that a read running over midnight or a
    month's end still puts each record where it belongs once it is kept.
    """

    def __init__(self, ledger: UsageLedger, start: datetime, end: datetime) -> None:
        """Begin a read of the window; nothing counts for the ledger until it is kept."""
        self.start = start
        self.end = end
        self._ledger = ledger
        self._zone = end.tzinfo or UTC
        self._horizon = end - ledger.overlap  # where the next read will start
        self.by_day: dict[date, Tallies] = {}
        self.remembered: dict[str, datetime] = {}  # ids the next read will see again
        self._last_page: set[str] = set()

    def count(self, records: Sequence[MessageRecord]) -> None:
        """Count a page of records, skipping those already counted."""
        known, remembered, last_page = self._ledger.remembered, self.remembered, self._last_page
        dids, horizon, zone, by_day = self._ledger.dids, self._horizon, self._zone, self.by_day
        this_page: set[str] = set()
        for record in records:
            message_id = record.message_id
            # On the page before too: the listing shifted (a record came in) while paged.
            if (
                message_id in known
                or message_id in remembered
                or message_id in last_page
                or message_id in this_page
            ):
                continue
            this_page.add(message_id)
            moment = record.timestamp or self.end  # no time given: it is there by now
            if moment >= horizon:
                remembered[message_id] = moment
            day = moment.astimezone(zone).date()
            if (tallies := by_day.get(day)) is None:
                tallies = by_day[day] = {_ACCOUNT: Tally()}
            usage = _usage(record)
            tallies[_ACCOUNT].add_record(usage)
            if (did := usage[0]) in dids:
                if (tally := tallies.get(did)) is None:
                    tally = tallies[did] = Tally()
                tally.add_record(usage)
        self._last_page = this_page


class UsageLedger:
    """The running totals of this month and of today, and where the next read starts.

    No Home Assistant in here: the coordinator gives it the time, in the configured zone.
    """

    def __init__(
        self,
        dids: Iterable[str],
        *,
        overlap: timedelta = OVERLAP,
        max_remembered: int = MAX_REMEMBERED_IDS,
    ) -> None:
        """Keep totals for the account and for each of `dids`; nothing read yet."""
        self.dids = frozenset(dids)
        self.overlap = overlap
        self._max_remembered = max_remembered
        self.cursor: datetime | None = None  # UTC end of the last complete read
        self.day: date | None = None
        self.today: Tallies = {}
        self.month: Tallies = {}
        self.remembered: dict[str, datetime] = {}  # id -> timestamp, inside the overlap

    def roll_over(self, now: datetime) -> bool:
        """Start a new day (and month) once `now`, aware and local, is in one; True if so."""
        today = now.date()
        if today == self.day:
            return False
        if self.day is None or _month(self.day) != _month(today):
            self.month = {}
        self.today = {}
        self.day = today
        return True

    def begin(self, now: datetime) -> UsageRead:
        """Begin the read due at `now` (aware, in the configured time zone)."""
        self.roll_over(now)
        month_start = datetime.combine(now.date().replace(day=1), time(), tzinfo=now.tzinfo)
        start = month_start
        if self.cursor is not None:
            start = min(max(self.cursor - self.overlap, month_start), now)
        return UsageRead(self, start, now)

    def keep(self, read: UsageRead) -> None:
        """Add what a completed read counted, and move the cursor to its end."""
        for day, tallies in read.by_day.items():
            targets = []
            if self.day is not None and _month(day) == _month(self.day):
                targets.append(self.month)
            if day == self.day:
                targets.append(self.today)
            for target in targets:
                for key, tally in tallies.items():
                    target.setdefault(key, Tally()).add(tally)
        self.cursor = read.end.astimezone(UTC)
        horizon = read.end - self.overlap
        kept = sorted(
            (
                (moment, message_id)
                for message_id, moment in chain(self.remembered.items(), read.remembered.items())
                if moment >= horizon
            ),
            reverse=True,
        )[: self._max_remembered]
        self.remembered = {message_id: moment for moment, message_id in kept}

    def figures(self, now: datetime) -> UsageFigures:
        """Return the totals as the sensors show them (`now` aware and local)."""
        day = self.day or now.date()
        return UsageFigures(
            day_start=datetime.combine(day, time(), tzinfo=now.tzinfo),
            month_start=datetime.combine(day.replace(day=1), time(), tzinfo=now.tzinfo),
            today={key: tally.copy() for key, tally in self.today.items()},
            month={key: tally.copy() for key, tally in self.month.items()},
        )

    def as_dict(self) -> dict[str, Any]:
        """Return what is stored."""
        return {
            "cursor": None if self.cursor is None else self.cursor.isoformat(),
            "day": None if self.day is None else self.day.isoformat(),
            "dids": sorted(self.dids),
            "today": {key: tally.as_list() for key, tally in self.today.items()},
            "month": {key: tally.as_list() for key, tally in self.month.items()},
            "remembered": [
                [message_id, moment.isoformat()] for message_id, moment in self.remembered.items()
            ],
        }

    def restore(self, stored: Any) -> bool:
        """Take back what was stored; False (and nothing taken) if it cannot be used.

        Totals kept for other numbers cannot be used: a number added since has not been
        counted from the month's start, so the month is read again.
        """
        try:
            if not isinstance(stored, dict) or not self.dids <= set(stored["dids"]):
                return False
            cursor = datetime.fromisoformat(stored["cursor"])
            day = date.fromisoformat(stored["day"])
            today = _tallies(stored["today"], self.dids)
            month = _tallies(stored["month"], self.dids)
            remembered = {
                str(message_id): datetime.fromisoformat(moment)
                for message_id, moment in stored["remembered"]
            }
        except (KeyError, TypeError, ValueError):
            return False
        if cursor.tzinfo is None or any(moment.tzinfo is None for moment in remembered.values()):
            return False
        self.cursor, self.day, self.today, self.month = cursor, day, today, month
        self.remembered = remembered
        return True


def _tallies(stored: Any, dids: frozenset[str]) -> Tallies:
    if not isinstance(stored, dict):
        raise TypeError("tallies are an object")
    return {
        key: Tally.from_list(value)
        for key, value in stored.items()
        if key == _ACCOUNT or key in dids
    }


def backoff_interval(
    interval: timedelta, failures: int, retry_after: float | None = None
) -> timedelta:
    """Return the interval after `failures` failed reads in a row: doubled, capped."""
    cap = max(MAX_INTERVAL, interval)
    delay = min(interval * (1 << min(failures, 16)), cap)
    if retry_after is not None:
        delay = max(delay, min(timedelta(seconds=retry_after), cap))
    return delay


class UsageCoordinator(DataUpdateCoordinator[UsageFigures | None]):
    """Reads the account's message records and keeps its usage totals (one per entry).

    Its data is None until the first read completes (or totals were stored).
    """

    config_entry: FlowrouteConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FlowrouteConfigEntry,
        client: FlowrouteClient,
        *,
        store: EntryStore[dict[str, Any]],
        ledger: UsageLedger,
    ) -> None:
        """Read with `client`, store in `store`, count in `ledger`."""
        minutes = float(entry.options.get(CONF_USAGE_INTERVAL, DEFAULT_USAGE_INTERVAL_MINUTES))
        self._interval = max(timedelta(minutes=minutes), MIN_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} usage",
            update_interval=self._interval,
            always_update=False,
        )
        self._client = client
        self._store = store
        self._ledger = ledger
        self._failures = 0
        # A refresh asked for while one runs waits for it: two reads of one window would
        # both count its records.
        self._reading = asyncio.Lock()

    @classmethod
    async def async_create(
        cls, hass: HomeAssistant, entry: FlowrouteConfigEntry, client: FlowrouteClient
    ) -> UsageCoordinator:
        """Build the coordinator with the totals and cursor it stored, if any."""
        store: EntryStore[dict[str, Any]] = entry_store(
            hass, entry.entry_id, USAGE, STORAGE_VERSION
        )
        ledger = UsageLedger(entry.data[CONF_NUMBERS])
        coordinator = cls(hass, entry, client, store=store, ledger=ledger)
        if ledger.restore(await store.async_load()):
            now = dt_util.now()
            ledger.roll_over(now)
            coordinator.data = ledger.figures(now)
        return coordinator

    @property
    def cursor(self) -> datetime | None:
        """Where the last complete read ended (UTC), None before the first."""
        return self._ledger.cursor

    def spend_today(self) -> int | None:
        """Today's spend of the account in nanodollars, None while it is not known."""
        return None if self.data is None else self.data.for_today().spend_nanodollars

    @callback
    def async_start(self) -> None:
        """Read for the first time without holding up setup, then every interval.

        Reading goes on with no sensor listening: the daily budget needs the spend.
        """
        entry = self.config_entry
        entry.async_on_unload(self.async_add_listener(lambda: None))
        entry.async_on_unload(
            async_track_time_change(self.hass, self._async_new_day, hour=0, minute=0, second=0)
        )
        entry.async_create_background_task(
            self.hass, self.async_refresh(), name=f"{DOMAIN} first usage read"
        )

    @callback
    def _async_new_day(self, _: datetime) -> None:
        """At midnight, today's totals start again (and the month's on the first)."""
        now = dt_util.now()
        if self._ledger.roll_over(now) and self.data is not None:
            self.data = self._ledger.figures(now)
            self.async_update_listeners()

    async def _async_update_data(self) -> UsageFigures:
        """Read what is new since the cursor and add it to the totals."""
        async with self._reading:
            read = self._ledger.begin(dt_util.now())
            try:
                async for page in self._client.iter_message_pages(
                    read.start, read.end, page_size=PAGE_SIZE, receipts=False
                ):
                    read.count(page)
            except FlowrouteAuthenticationError as err:
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="auth_failed"
                ) from err
            except FlowrouteError as err:
                self._failures += 1
                retry_after = err.retry_after if isinstance(err, FlowrouteRateLimitError) else None
                self.update_interval = backoff_interval(self._interval, self._failures, retry_after)
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="usage_read_failed",
                    translation_placeholders={
                        "error": str(err),
                        "minutes": f"{self.update_interval.total_seconds() / 60:g}",
                    },
                ) from err
            self._ledger.keep(read)
            if self._failures:
                self._failures = 0
                self.update_interval = self._interval
            await self._store.async_save(self._ledger.as_dict())
            return self._ledger.figures(read.end)

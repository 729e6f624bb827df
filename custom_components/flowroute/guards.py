"""Guard rails: a runaway automation or two bots texting each other cannot run up the bill.

Every send goes through `Sender`, which asks here before anything reaches the outbox and
tells what it queued:
- the flood guard: at most N texts to one number in any hour (option, default 30; 0 turns
  it off). Keyword replies and Assist's answers count too, so an auto-reply ping-pong
  with another bot stops by itself.
- the daily budget of the account: at most N segments a day (counted here as texts are
  queued, an MMS as one, kept across restarts), and at most $X a day (the spend
  Flowroute's message records report, read by the usage coordinator: it lags by up to
  its interval). Both options are off (0) by default. The day is Home Assistant's.
A refusal is a translated error. The first refusal of each hold fires an event and
raises a repair issue; both clear when the hold lifts (the hour clears, the day ends).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.event import async_call_later, async_track_time_change
from homeassistant.util import dt as dt_util

from .api import format_number
from .const import (
    CONF_BUDGET_SEGMENTS,
    CONF_BUDGET_USD,
    CONF_FLOOD_GUARD,
    DEFAULT_FLOOD_GUARD_PER_HOUR,
    DOMAIN,
    EVENT_BUDGET_REACHED,
    EVENT_FLOOD_GUARD,
    LOGGER,
)
from .repairs import async_budget_reached, async_clear_flood_guards, async_flood_guard
from .storage import GUARDS, entry_store

if TYPE_CHECKING:
    from collections.abc import Callable

    from .data import FlowrouteConfigEntry

FLOOD_WINDOW: Final = 3600.0
# Numbers the flood guard remembers; the least recently texted are forgotten beyond it.
MAX_FLOOD_NUMBERS: Final = 10_000
NANODOLLARS_PER_DOLLAR: Final = 1_000_000_000
STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 5.0


class FloodGuard:
    """At most `limit` texts to one number in any hour (0: no limit)."""

    def __init__(self, hass: HomeAssistant, entry: FlowrouteConfigEntry, limit: int) -> None:
        """Guard the texts of `entry`."""
        self._hass = hass
        self._entry = entry
        self.limit = limit
        self._sent: OrderedDict[str, deque[float]] = OrderedDict()
        self._held: dict[str, CALLBACK_TYPE] = {}  # number -> cancels the lift

    @property
    def holding(self) -> int:
        """How many numbers the guard holds back now."""
        return len(self._held)

    def allows(self, number: str) -> bool:
        """Return whether one more text to `number` may go now."""
        return self.limit <= 0 or len(self._recent(number)) < self.limit

    @callback
    def async_count(self, number: str) -> None:
        """Count a text queued for `number`."""
        if self.limit <= 0:
            return
        sent = self._sent.pop(number, None) or deque()
        sent.append(self._hass.loop.time())
        self._sent[number] = sent  # most recently texted last
        while len(self._sent) > MAX_FLOOD_NUMBERS:
            self._sent.popitem(last=False)

    @callback
    def async_refuse(self, number: str, context: Context | None) -> ServiceValidationError:
        """Hold `number` back (the first time: event, repair issue); return the error."""
        if number not in self._held:
            sent = self._recent(number)
            wait = FLOOD_WINDOW - (self._hass.loop.time() - sent[0]) if sent else 0.0
            until = dt_util.utcnow().timestamp() + wait
            LOGGER.warning(
                "Flood guard: %s got %d texts in the last hour; holding more back",
                format_number(number),
                len(sent),
            )
            self._hass.bus.async_fire(
                EVENT_FLOOD_GUARD,
                {
                    "config_entry_id": self._entry.entry_id,
                    "number": number,
                    "limit": self.limit,
                    "until": dt_util.utc_from_timestamp(until).isoformat(),
                },
                context=context,
            )
            async_flood_guard(self._hass, self._entry, number, limit=self.limit)
            self._held[number] = async_call_later(
                self._hass, max(wait, 1.0), self._lift_callback(number)
            )
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="flood_guard",
            translation_placeholders={"to": format_number(number), "limit": str(self.limit)},
        )

    @callback
    def async_unload(self) -> None:
        """Stop the lift timers (the issues stay until the entry runs again)."""
        for cancel in self._held.values():
            cancel()
        self._held.clear()

    def _lift_callback(self, number: str) -> Callable[[Any], None]:
        @callback
        def lift(_now: Any) -> None:
            del self._held[number]
            if not self.allows(number):  # still full: the oldest text was sent later
                self.async_refuse(number, None)
                return
            async_flood_guard(self._hass, self._entry, number, limit=None)

        return lift

    def _recent(self, number: str) -> deque[float]:
        """Return the times of the texts to `number` in the last hour (older ones dropped)."""
        sent = self._sent.get(number)
        if sent is None:
            return deque()
        now = self._hass.loop.time()
        while sent and now - sent[0] >= FLOOD_WINDOW:
            sent.popleft()
        if not sent:
            del self._sent[number]
        return sent


class DailyBudget:
    """At most so many segments, and so many dollars, a day (0: no limit)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FlowrouteConfigEntry,
        *,
        segments: int,
        dollars: Decimal,
        spend_today: Callable[[], int | None],
    ) -> None:
        """Budget the texts of `entry`; `spend_today` gives today's spend in nanodollars."""
        self._hass = hass
        self._entry = entry
        self.segments = segments
        self.dollars = dollars
        self._spend_today = spend_today
        self._store = entry_store(hass, entry.entry_id, GUARDS, STORAGE_VERSION)
        self._day = dt_util.now().date().isoformat()
        self.segments_today = 0
        self._reached = False  # the event fired and the issue is up, for today

    async def async_load(self) -> None:
        """Read today's segments; a new day starts at midnight, in Home Assistant's zone."""
        stored = await self._store.async_load() or {}
        if isinstance(stored, dict) and stored.get("day") == self._day:
            count = stored.get("segments")
            self.segments_today = count if type(count) is int and count >= 0 else 0
        if self.exceeded_by(1) is None:
            async_budget_reached(self._hass, self._entry, budget=None)  # a day has passed
        self._entry.async_on_unload(
            async_track_time_change(self._hass, self._new_day, hour=0, minute=0, second=0)
        )

    @property
    def active(self) -> bool:
        """Whether any daily limit is set."""
        return self.segments > 0 or self.dollars > 0

    def exceeded_by(self, segments: int) -> str | None:
        """Return the limit that `segments` more would break, as people read it; or None."""
        if self.segments > 0 and self.segments_today + segments > self.segments:
            return f"{self.segments} segments"
        if self.dollars > 0:
            spent = self._spend_today()
            if spent is not None and spent >= self.dollars * NANODOLLARS_PER_DOLLAR:
                return f"${self.dollars:.2f}"
        return None

    @callback
    def async_count(self, segments: int) -> None:
        """Count segments queued today."""
        self.segments_today += segments
        self._store.async_delay_save(self._data, SAVE_DELAY)

    async def async_save(self) -> None:
        """Save today's count now (the entry unloads: the next run reads it at once)."""
        await self._store.async_save(self._data())

    @callback
    def async_refuse(self, budget: str, context: Context | None) -> ServiceValidationError:
        """Refuse a send (the first time today: event, repair issue); return the error."""
        if not self._reached:
            self._reached = True
            LOGGER.warning("The daily budget of %s is reached: %s", self._entry.title, budget)
            self._hass.bus.async_fire(
                EVENT_BUDGET_REACHED,
                {
                    "config_entry_id": self._entry.entry_id,
                    "budget": budget,
                    "segments_today": self.segments_today,
                    "spend_today": _dollars(self._spend_today()),
                },
                context=context,
            )
            async_budget_reached(self._hass, self._entry, budget=budget)
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="budget_reached",
            translation_placeholders={"title": self._entry.title, "budget": budget},
        )

    @callback
    def _new_day(self, _now: Any) -> None:
        self._day = dt_util.now().date().isoformat()
        self.segments_today = 0
        self._store.async_delay_save(self._data, SAVE_DELAY)
        self._reached = False
        # Also the issue of a run before a restart, which this run never raised itself.
        async_budget_reached(self._hass, self._entry, budget=None)

    def _data(self) -> dict[str, Any]:
        return {"day": self._day, "segments": self.segments_today}


def _dollars(nanodollars: int | None) -> str | None:
    """Return an amount as a plain decimal string of dollars ("1.234"), exact."""
    if nanodollars is None:
        return None
    return str(Decimal(nanodollars) / NANODOLLARS_PER_DOLLAR)


class SendGuards:
    """The guard rails a send passes before the outbox: the flood guard, then the budget."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FlowrouteConfigEntry,
        *,
        spend_today: Callable[[], int | None],
    ) -> None:
        """Guard `entry`'s sends with the limits its options set."""
        self._hass = hass
        self._entry = entry
        options = entry.options
        self.flood = FloodGuard(
            hass, entry, int(options.get(CONF_FLOOD_GUARD, DEFAULT_FLOOD_GUARD_PER_HOUR))
        )
        self.budget = DailyBudget(
            hass,
            entry,
            segments=int(options.get(CONF_BUDGET_SEGMENTS, 0)),
            dollars=Decimal(str(options.get(CONF_BUDGET_USD, 0) or 0)),
            spend_today=spend_today,
        )

    async def async_load(self) -> None:
        """Read what the budget counted today; the flood guard starts with a clear hour."""
        async_clear_flood_guards(self._hass, self._entry)
        await self.budget.async_load()

    async def async_unload(self) -> None:
        """Stop the flood guard's timers; save the budget's count of today."""
        self.flood.async_unload()
        await self.budget.async_save()

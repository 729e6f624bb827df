"""Repair issues: what the user should know about and can fix, raised and cleared here.

The modules that decide call these: the send outcomes (repeated failures), the receipt
tracker (numbers carriers block for registration), the opt-out list (unreadable, or not
saved), the guard rails (a flood guard holding, a daily budget reached), the entry's
setup and the webhook (no external URL; callbacks that may not point here). Each issue
goes away by itself when its cause does. The fix flows live here too: re-check the
external URL, point the callbacks here, confirm a registration, start an empty opt-out
list. (Refused keys are Home Assistant's own reauthentication notice: outcomes.py and the
usage coordinator start it.)
"""

from __future__ import annotations

import hashlib
import time
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID, EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from yarl import URL

from .api import CallbackType, FlowrouteError
from .const import CONF_CALLBACKS_POINTED, CONF_NUMBERS, DOMAIN, LOGGER
from .storage import StoreWriteError
from .webhook import async_callback_url, async_external_webhook_url

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from homeassistant.components.repairs import RepairsFlowResult

    from .data import FlowrouteConfigEntry

# A single failure is an event; this many within the window is a problem to repair.
REPEATED_FAILURES: Final = 3
FAILURE_WINDOW: Final = 3600.0


def _issue_id(kind: str, entry_id: str) -> str:
    return f"{kind}_{entry_id}"


@callback
def _async_raise_or_clear(
    hass: HomeAssistant, issue_id: str, *, raised: bool, **issue: Any
) -> None:
    """Raise the issue while its cause holds, delete it once it does not."""
    if raised:
        ir.async_create_issue(hass, DOMAIN, issue_id, **issue)
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_delete_entry_issues(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Delete every issue of an entry that is being removed: its causes go with it."""
    marker = f"_{entry.entry_id}"
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and marker in issue_id:
            ir.async_delete_issue(hass, DOMAIN, issue_id)


# Repeated send failures (outcomes.py decides what counts)

SEND_FAILURES: Final = "send_failures"


class SendFailureTracker:
    """Raises a repair issue when sends fail again and again; a send that works clears it."""

    def __init__(self, hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
        """Count the failures of one entry."""
        self._hass = hass
        self._entry = entry
        self._recent: deque[float] = deque()
        self._issue_id = _issue_id(SEND_FAILURES, entry.entry_id)

    @callback
    def async_sent(self) -> None:
        """Clear the repair issue: a send went through."""
        self._recent.clear()
        # Also an issue raised before a restart: the count starts again, the issue stays.
        ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)

    @callback
    def async_failed(self, reason: str) -> None:
        """Count a failure (`reason`: outcomes.describe_failure); repeated ones are an issue."""
        now = time.monotonic()
        self._recent.append(now)
        while self._recent and self._recent[0] < now - FAILURE_WINDOW:
            self._recent.popleft()
        if len(self._recent) >= REPEATED_FAILURES:
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self._issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=SEND_FAILURES,
                translation_placeholders={
                    "count": str(len(self._recent)),
                    "title": self._entry.title,
                    "reason": reason,
                },
            )


# Registration (10DLC, toll-free verification): receipts.py decides, these say so.

REGISTRATION: Final = "registration"
# NANP toll-free area codes: such numbers need toll-free verification, not 10DLC.
_TOLL_FREE_PREFIXES: Final = tuple(f"1{area}" for area in (800, 833, 844, 855, 866, 877, 888))
# Each code in our own words: a receipt's own description is whatever the (unsigned)
# callback said.
REGISTRATION_PROBLEMS: Final = MappingProxyType(
    {
        1103: "source not authorized",
        1104: "source carrier disabled",
        1150: "filtered as spam",
        1152: "rejected as spam",
        1160: "toll-free limits exceeded",
    }
)
# Flowroute's own help articles, in the issue's fix flow and its "Learn more".
GUIDE_10DLC: Final = (
    "https://support.flowroute.com/727644-Messaging-Guidelines---Start-Here-with-10DLC"
)
GUIDE_TOLL_FREE: Final = (
    "https://support.flowroute.com/472496-Text-enabled-Toll-Free-Verification-Process"
)


def _registration_issue_id(entry_id: str, did: str) -> str:
    return f"{REGISTRATION}_{entry_id}_{number_key(did)}"


def number_key(number: str) -> str:
    """Name a number in an issue id without spelling it out.

    Home Assistant puts the integration's issues, ids and placeholders included, into the
    diagnostics download, which must not hold phone numbers.
    """
    return hashlib.sha256(number.encode()).hexdigest()[:16]


def masked_number(number: str) -> str:
    """Show a number in an issue by its last four digits: enough to tell which it is."""
    return f"…{number[-4:]}"


@callback
def async_registration_blocked(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, did: str, code: int
) -> None:
    """Raise the issue of one of the entry's numbers whose texts carriers block unregistered."""
    toll_free = did.startswith(_TOLL_FREE_PREFIXES)
    guide = GUIDE_TOLL_FREE if toll_free else GUIDE_10DLC
    ir.async_create_issue(
        hass,
        DOMAIN,
        _registration_issue_id(entry.entry_id, did),
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key="registration_toll_free" if toll_free else "registration_10dlc",
        translation_placeholders={
            "title": entry.title,
            "number": masked_number(did),
            "code": str(code),
            "description": REGISTRATION_PROBLEMS[code],
            "guide_url": guide,
        },
        learn_more_url=guide,
        data={"entry_id": entry.entry_id},
    )


@callback
def async_registration_sorted(hass: HomeAssistant, entry: FlowrouteConfigEntry, did: str) -> None:
    """Clear the issue: a text from the number reached a handset."""
    ir.async_delete_issue(hass, DOMAIN, _registration_issue_id(entry.entry_id, did))


# Reaching this Home Assistant: an external URL, and the numbers' callbacks pointing at it.

NO_EXTERNAL_URL: Final = "no_external_url"
# One issue per entry; its translation says which: the address changed since the
# callbacks were pointed here, or there is no record that they ever were.
CALLBACKS_NOT_HERE: Final = "callbacks_not_here"
CALLBACKS_NOT_POINTED: Final = "callbacks_not_pointed"
NETWORK_SETTINGS: Final = "/config/network"


@callback
def async_watch_external_url(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Check the external URL and the callbacks now and whenever the core config changes.

    Home Assistant Cloud counts through the entry's cloudhook: the webhook creates it while
    the entry starts, before this first check.
    """

    @callback
    def recheck(_: Event) -> None:
        _async_check_reachable(hass, entry)

    _async_check_reachable(hass, entry)
    entry.async_on_unload(hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, recheck))


@callback
def _async_check_reachable(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    async_check_external_url(hass, entry)
    async_check_callbacks(hass, entry)


@callback
def async_check_external_url(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Raise a repair issue while Flowroute cannot reach this Home Assistant."""
    _async_raise_or_clear(
        hass,
        _issue_id(NO_EXTERNAL_URL, entry.entry_id),
        raised=async_callback_url(hass, entry) is None,
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=NO_EXTERNAL_URL,
        translation_placeholders={"title": entry.title, "network_link": NETWORK_SETTINGS},
        learn_more_url="https://www.home-assistant.io/docs/configuration/remote/",
        data={"entry_id": entry.entry_id},
    )


def callbacks_record(url: str, numbers: Iterable[str]) -> dict[str, Any]:
    """Return what the entry's data keeps of the callbacks the integration pointed at `url`."""
    return {"url": url, "numbers": sorted(set(numbers))}


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbacksProblem:
    """Why some numbers' callbacks may not reach here, and the fix: point them at `url`."""

    key: str  # the issue's translation key
    url: str
    numbers: list[str]


def callbacks_problem(
    here: Sequence[str], record: Mapping[str, Any] | None, numbers: Iterable[str]
) -> CallbacksProblem | None:
    """Say whether the callbacks of `numbers` may not reach here, and how to fix that.

    `here`: the URLs that reach the entry's webhook now, preferred first; `record`:
    callbacks_record's dict, or None when the integration never pointed any. Without a
    URL that reaches here there is nothing to point them at: the missing external URL is
    the issue then. Numbers missing from a record whose URL still reaches here join it
    there.
    """
    if not here:
        return None
    if record is None:
        return CallbacksProblem(key=CALLBACKS_NOT_POINTED, url=here[0], numbers=list(numbers))
    if record["url"] not in here:
        return CallbacksProblem(key=CALLBACKS_NOT_HERE, url=here[0], numbers=list(numbers))
    if missing := [number for number in numbers if number not in record["numbers"]]:
        return CallbacksProblem(key=CALLBACKS_NOT_POINTED, url=record["url"], numbers=missing)
    return None


@callback
def _async_callbacks_problem(
    hass: HomeAssistant, entry: FlowrouteConfigEntry
) -> CallbacksProblem | None:
    here = (
        async_callback_url(hass, entry),
        async_external_webhook_url(hass, entry.data[CONF_WEBHOOK_ID]),
    )
    return callbacks_problem(
        tuple(dict.fromkeys(url for url in here if url)),
        entry.data.get(CONF_CALLBACKS_POINTED),
        entry.data[CONF_NUMBERS],
    )


def _address(url: str) -> str:
    """Return where a webhook URL goes without the secret part: its scheme, host and port."""
    return str(URL(url).origin())


@callback
def async_check_callbacks(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Raise the issue while the numbers' callbacks may not point at this Home Assistant."""
    problem = _async_callbacks_problem(hass, entry)
    issue_id = _issue_id(CALLBACKS_NOT_HERE, entry.entry_id)
    if problem is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    record: Mapping[str, Any] | None = entry.data.get(CONF_CALLBACKS_POINTED)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        # Receiving stopped working, vs. it may never have been set up (perhaps on purpose).
        severity=ir.IssueSeverity.ERROR
        if problem.key == CALLBACKS_NOT_HERE
        else ir.IssueSeverity.WARNING,
        translation_key=problem.key,
        translation_placeholders={
            "title": entry.title,
            "numbers": ", ".join(masked_number(number) for number in problem.numbers),
            "address": _address(problem.url),
            "old_address": _address(record["url"]) if record else "",
        },
        data={"entry_id": entry.entry_id},
    )


@callback
def async_record_callbacks(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, url: str, numbers: Iterable[str]
) -> None:
    """Keep in the entry that the callbacks of `numbers` point at `url`; check again."""
    # Only the entry's numbers: the record stays as bounded as the entry.
    configured = set(entry.data[CONF_NUMBERS])
    hass.config_entries.async_update_entry(
        entry,
        data={
            **entry.data,
            CONF_CALLBACKS_POINTED: callbacks_record(
                url, (number for number in numbers if number in configured)
            ),
        },
    )
    async_check_callbacks(hass, entry)


@callback
def async_callbacks_reached(hass: HomeAssistant, entry: FlowrouteConfigEntry, did: str) -> None:
    """Learn from an inbound text at the webhook that `did`'s callbacks point here."""
    record: Mapping[str, Any] | None = entry.data.get(CONF_CALLBACKS_POINTED)
    if did not in entry.data[CONF_NUMBERS] or (record is not None and did in record["numbers"]):
        return
    problem = _async_callbacks_problem(hass, entry)
    # Not after the address changed: the text may have come to the old one.
    if problem is not None and problem.key == CALLBACKS_NOT_POINTED:
        async_record_callbacks(
            hass, entry, problem.url, [*(record["numbers"] if record else ()), did]
        )


# The opt-out list (opt_out.py decides; these say so)

OPT_OUTS_UNREADABLE: Final = "opt_out_list_unavailable"
OPT_OUTS_NOT_SAVED: Final = "opt_out_save_failed"


@callback
def async_opt_out_list_unreadable(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, *, reason: str | None, path: str = ""
) -> None:
    """Raise the fixable issue of an opt-out list that cannot be read; None clears it."""
    _async_raise_or_clear(
        hass,
        _issue_id(OPT_OUTS_UNREADABLE, entry.entry_id),
        raised=reason is not None,
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key=OPT_OUTS_UNREADABLE,
        translation_placeholders={"title": entry.title, "reason": reason, "path": path},
        data={"entry_id": entry.entry_id},
    )


@callback
def async_opt_out_save_failed(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, *, error: str | None
) -> None:
    """Raise the issue of an opt-out list whose saves fail; None (a save worked) clears it."""
    _async_raise_or_clear(
        hass,
        _issue_id(OPT_OUTS_NOT_SAVED, entry.entry_id),
        raised=error is not None,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=OPT_OUTS_NOT_SAVED,
        translation_placeholders={"title": entry.title, "error": error},
    )


# The guard rails (guards.py decides; these say so until it lifts)

FLOOD_GUARD: Final = "flood_guard"
BUDGET_REACHED: Final = "budget_reached"


@callback
def async_flood_guard(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, number: str, *, limit: int | None
) -> None:
    """Raise the issue of a number the flood guard holds back; None (lifted) clears it."""
    _async_raise_or_clear(
        hass,
        f"{FLOOD_GUARD}_{entry.entry_id}_{number_key(number)}",
        raised=limit is not None,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=FLOOD_GUARD,
        translation_placeholders={
            "title": entry.title,
            "number": masked_number(number),
            "limit": str(limit),
        },
    )


@callback
def async_clear_flood_guards(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Clear the entry's flood guard issues (after a restart, its hour starts clear)."""
    prefix = f"{FLOOD_GUARD}_{entry.entry_id}_"
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue_id.startswith(prefix):
            ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_budget_reached(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, *, budget: str | None
) -> None:
    """Raise the issue of an account whose daily budget is spent; None (lifted) clears it.

    `budget` is the limit as people read it: "500 segments" or "$2.00".
    """
    _async_raise_or_clear(
        hass,
        _issue_id(BUDGET_REACHED, entry.entry_id),
        raised=budget is not None,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=BUDGET_REACHED,
        translation_placeholders={"title": entry.title, "budget": str(budget)},
    )


# Fix flows


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the fix flow of one of the fixable issues."""
    if not data or "entry_id" not in data:
        raise ValueError(f"no fix flow for the issue {issue_id}")
    entry_id = str(data["entry_id"])
    if issue_id.startswith(REGISTRATION):
        # Nothing to do here: the next receipt from the number tells whether it worked.
        return ConfirmRepairFlow()
    flows: dict[str, type[_EntryFixFlow]] = {
        NO_EXTERNAL_URL: RecheckExternalUrlFlow,
        CALLBACKS_NOT_HERE: PointCallbacksFlow,
        OPT_OUTS_UNREADABLE: StartEmptyOptOutListFlow,
    }
    for kind, flow in flows.items():
        if issue_id == _issue_id(kind, entry_id):
            return flow(entry_id)
    raise ValueError(f"no fix flow for the issue {issue_id}")


class _EntryFixFlow(RepairsFlow, ABC):
    """One confirm step on an issue of a loaded entry, shown with the issue's placeholders."""

    def __init__(self, entry_id: str) -> None:
        """Fix an issue of one entry."""
        self._entry_id = entry_id
        self._placeholders: Mapping[str, str] | None = None

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Go straight to the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Explain the issue and the fix; on submit, fix it (or say why that did not work)."""
        entry: FlowrouteConfigEntry | None = self.hass.config_entries.async_get_entry(
            self._entry_id
        )
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        if user_input is None:
            return self._form()
        return await self._async_submit(entry)

    @abstractmethod
    async def _async_submit(self, entry: FlowrouteConfigEntry) -> RepairsFlowResult:
        """Fix the issue: finish, or show the form again with the error."""

    def _form(self, error: str | None = None) -> RepairsFlowResult:
        # The issue's latest placeholders; kept, should its cause (and so the issue) go
        # while the form is open.
        if issue := ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id):
            self._placeholders = issue.translation_placeholders
        return self.async_show_form(
            step_id="confirm",
            description_placeholders=self._placeholders,
            errors={"base": error} if error else None,
        )


class RecheckExternalUrlFlow(_EntryFixFlow):
    """Link to the network settings; on submit, check that Flowroute can reach here now."""

    async def _async_submit(self, entry: FlowrouteConfigEntry) -> RepairsFlowResult:
        """Finish once there is a URL (the callbacks' issue may follow); else say there is none."""
        if async_callback_url(self.hass, entry) is None:
            return self._form("still_no_url")
        _async_check_reachable(self.hass, entry)
        return self.async_create_entry(data={})


class PointCallbacksFlow(_EntryFixFlow):
    """Point the callbacks of the numbers the issue names at the webhook; keep a record."""

    async def _async_submit(self, entry: FlowrouteConfigEntry) -> RepairsFlowResult:
        """Set the four callbacks of each number, as the config flow's callbacks step does."""
        if (problem := _async_callbacks_problem(self.hass, entry)) is None:
            if async_callback_url(self.hass, entry) is None:
                return self._form("no_external_url")
            return self.async_create_entry(data={})  # sorted out meanwhile
        client = entry.runtime_data.client
        try:
            for number in problem.numbers:
                for kind in CallbackType:
                    await client.set_number_callback(number, kind, problem.url)
        except FlowrouteError as err:
            LOGGER.warning("Could not point the callbacks of %s here: %s", entry.title, err)
            return self._form("callbacks_failed")
        record: Mapping[str, Any] | None = entry.data.get(CONF_CALLBACKS_POINTED)
        kept = record["numbers"] if record and problem.key == CALLBACKS_NOT_POINTED else []
        async_record_callbacks(self.hass, entry, problem.url, [*kept, *problem.numbers])
        return self.async_create_entry(data={})


class StartEmptyOptOutListFlow(_EntryFixFlow):
    """Start an empty opt-out list deliberately, keeping the unreadable file."""

    async def _async_submit(self, entry: FlowrouteConfigEntry) -> RepairsFlowResult:
        """Start the empty list and reload the entry; abort if it cannot be saved."""
        try:
            await entry.runtime_data.opt_outs.async_start_empty()
        except (OSError, StoreWriteError) as err:
            return self.async_abort(
                reason="not_replaced", description_placeholders={"error": str(err)}
            )
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data={})
